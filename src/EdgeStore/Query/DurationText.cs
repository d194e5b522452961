using System.Globalization;

namespace EdgeStore.Query;

/// <summary>
/// Durations as operators type them: a number and a unit (`500ms`, `30s`, `10m`, `2h`, `7d`, `1w`), optionally
/// chained (`1h30m`). Used by `query --since/--until` and `simulate --duration`.
/// </summary>
internal static class DurationText
{
    public static bool TryParse(string text, bool requireUnit, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var span = text.AsSpan().Trim();
        if (span.IsEmpty)
        {
            return false;
        }

        if (!requireUnit && long.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out var bareSeconds))
        {
            duration = TimeSpan.FromSeconds(bareSeconds);
            return true;
        }

        var total = 0.0;
        while (!span.IsEmpty)
        {
            var digits = 0;
            while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
            {
                digits++;
            }

            if (digits == 0 || !double.TryParse(span[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return false;
            }

            span = span[digits..];
            var letters = 0;
            while (letters < span.Length && char.IsAsciiLetter(span[letters]))
            {
                letters++;
            }

            double? unitMs = span[..letters] switch
            {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 604_800_000,
                _ => null,
            };
            if (unitMs is null)
            {
                return false;
            }

            total += amount * unitMs.Value;
            span = span[letters..];
        }

        if (total > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(total);
        return true;
    }
}
