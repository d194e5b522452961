namespace EdgeStore.Maintenance;

/// <summary>
/// The days of the week a maintenance window may open on, parsed from operator text such as
/// "Mon-Sun", "Mon,Wed,Fri" or "Fri-Mon" (ranges wrap around the week end).
/// </summary>
internal sealed class MaintenanceDays
{
    private static readonly string[] ShortNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    private readonly int _mask;

    private MaintenanceDays(int mask) => _mask = mask;

    public static MaintenanceDays Every { get; } = new(0x7F);

    public bool Contains(DayOfWeek day) => (_mask & (1 << (int)day)) != 0;

    /// <summary>Parses "Mon-Sun", "Mon,Wed,Fri", "Sat-Mon", "Daily" or "*"; day names are three letters or full, any case.</summary>
    public static bool TryParse(string? text, out MaintenanceDays days, out string error)
    {
        days = Every;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty; expected days such as \"Mon-Sun\" or \"Mon,Wed,Fri\"";
            return false;
        }

        var trimmed = text.Trim();
        if (trimmed == "*" || trimmed.Equals("daily", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var mask = 0;
        foreach (var rawPart in trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = rawPart.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                if (!TryDay(rawPart, out var single))
                {
                    error = $"has an unknown day \"{rawPart}\"; use Mon, Tue, Wed, Thu, Fri, Sat or Sun";
                    return false;
                }

                mask |= 1 << single;
                continue;
            }

            var from = rawPart[..dash].Trim();
            var to = rawPart[(dash + 1)..].Trim();
            if (!TryDay(from, out var first) || !TryDay(to, out var last))
            {
                error = $"has an unknown day range \"{rawPart}\"; use for example Mon-Fri";
                return false;
            }

            // A range walks forward through the week, so "Fri-Mon" is Fri, Sat, Sun, Mon.
            for (var day = first; ; day = (day + 1) % 7)
            {
                mask |= 1 << day;
                if (day == last)
                {
                    break;
                }
            }
        }

        if (mask == 0)
        {
            error = "names no day";
            return false;
        }

        days = new MaintenanceDays(mask);
        return true;
    }

    /// <summary>
    /// The same days in a canonical spelling that keeps the operator's shape: `sat-mon` becomes `Sat-Mon`,
    /// `mon, wed` becomes `Mon,Wed`. Only for text <see cref="TryParse"/> accepted.
    /// </summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return string.Join(',', text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(part =>
            string.Join('-', part.Split('-', StringSplitOptions.TrimEntries).Select(word =>
                word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..].ToLowerInvariant()))));
    }

    public override string ToString()
    {
        if (_mask == 0x7F)
        {
            return "Mon-Sun";
        }

        var names = new List<string>(7);
        for (var day = 1; day <= 7; day++)
        {
            var index = day % 7;
            if ((_mask & (1 << index)) != 0)
            {
                names.Add(char.ToUpperInvariant(ShortNames[index][0]) + ShortNames[index][1..]);
            }
        }

        return string.Join(',', names);
    }

    private static bool TryDay(string text, out int day)
    {
        day = -1;
        if (text.Length < 3)
        {
            return false;
        }

        var prefix = text[..3].ToLowerInvariant();
        day = Array.IndexOf(ShortNames, prefix);
        if (day < 0)
        {
            return false;
        }

        // Accept "Mon" and "Monday", not "Monkey".
        var fullName = ((DayOfWeek)day).ToString();
        return text.Length == 3 || text.Equals(fullName, StringComparison.OrdinalIgnoreCase);
    }
}
