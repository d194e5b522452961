using System.Globalization;

namespace EdgeStore.Maintenance;

/// <summary>
/// Reads durations as operators write them in settings: "2h", "90m", "1h30m", "45s", "7d",
/// or a TimeSpan such as "02:00:00".
/// </summary>
internal static class SettingDuration
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var value = text.Trim();
        if (value.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
        }

        var total = TimeSpan.Zero;
        var index = 0;
        var sawUnit = false;
        while (index < value.Length)
        {
            var start = index;
            while (index < value.Length && (char.IsAsciiDigit(value[index]) || value[index] == '.'))
            {
                index++;
            }

            if (start == index || index == value.Length)
            {
                return false;
            }

            if (!double.TryParse(value.AsSpan(start, index - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = index;
            while (index < value.Length && char.IsAsciiLetter(value[index]))
            {
                index++;
            }

            TimeSpan part;
            switch (value[unitStart..index].ToLowerInvariant())
            {
                case "d": part = TimeSpan.FromDays(number); break;
                case "h": part = TimeSpan.FromHours(number); break;
                case "m": case "min": part = TimeSpan.FromMinutes(number); break;
                case "s": part = TimeSpan.FromSeconds(number); break;
                case "ms": part = TimeSpan.FromMilliseconds(number); break;
                default: return false;
            }

            total += part;
            sawUnit = true;
        }

        duration = total;
        return sawUnit;
    }
}
