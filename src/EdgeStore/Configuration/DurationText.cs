using System.Globalization;

namespace EdgeStore.Configuration;

/// <summary>
/// The one duration grammar of EdgeStore, for settings (`Maintenance:WalGuardInterval`, window durations, ...), remote
/// desired documents and the command line (`query --since/--until`, `simulate --duration`): a number and a unit
/// (`500ms`, `30s`, `10m` or `10min`, `2h`, `7d`, `1w`; units in any case), optionally chained (`1h30m`) and with
/// decimals (`1.5h`). Two further forms are accepted only where the caller asks for them: a clock-style TimeSpan
/// (`02:00:00`, settings only, where it cannot be mistaken for a time of day) and a bare number of seconds
/// (`simulate --duration 45`). Negative durations are never accepted; ranges are the caller's to check.
/// </summary>
internal static class DurationText
{
    public static bool TryParse(string? text, out TimeSpan duration, bool allowClock = false, bool allowBareSeconds = false)
    {
        duration = TimeSpan.Zero;
        var span = text.AsSpan().Trim();
        if (span.IsEmpty)
        {
            return false;
        }

        if (allowBareSeconds && long.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out var bareSeconds))
        {
            duration = TimeSpan.FromSeconds(bareSeconds);
            return true;
        }

        if (span.Contains(':'))
        {
            return allowClock && TimeSpan.TryParse(span, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
        }

        var totalMs = 0.0;
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

            var unitMs = UnitMilliseconds(span[..letters]);
            if (unitMs is null)
            {
                return false;
            }

            totalMs += amount * unitMs.Value;
            span = span[letters..];
        }

        if (totalMs > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        duration = TimeSpan.FromMilliseconds(totalMs);
        return true;
    }

    /// <summary>A duration in the grammar's own words, largest whole unit first: `1h`, `10s`, `100ms`, `365d`.</summary>
    public static string Format(TimeSpan duration)
    {
        var ms = (long)duration.TotalMilliseconds;
        return ms == 0 ? "0s"
            : ms % 86_400_000 == 0 ? $"{ms / 86_400_000}d"
            : ms % 3_600_000 == 0 ? $"{ms / 3_600_000}h"
            : ms % 60_000 == 0 ? $"{ms / 60_000}m"
            : ms % 1000 == 0 ? $"{ms / 1000}s"
            : $"{ms}ms";
    }

    private static double? UnitMilliseconds(ReadOnlySpan<char> unit) =>
        unit.Equals("ms", StringComparison.OrdinalIgnoreCase) ? 1
        : unit.Equals("s", StringComparison.OrdinalIgnoreCase) ? 1000
        : unit.Equals("m", StringComparison.OrdinalIgnoreCase) || unit.Equals("min", StringComparison.OrdinalIgnoreCase) ? 60_000
        : unit.Equals("h", StringComparison.OrdinalIgnoreCase) ? 3_600_000
        : unit.Equals("d", StringComparison.OrdinalIgnoreCase) ? 86_400_000
        : unit.Equals("w", StringComparison.OrdinalIgnoreCase) ? 604_800_000
        : null;
}
