using System.Globalization;
using EdgeStore.Configuration;

namespace EdgeStore.Query;

/// <summary>
/// A point in time given on the command line: a duration back from now (`10m`, `2h`, `7d`) or an ISO-8601 date-time
/// (`2026-05-01T12:00:00Z`; without an offset it is UTC, like every time EdgeStore prints).
/// </summary>
internal static class TimeArgument
{
    public static bool TryParse(string text, DateTimeOffset now, out DateTimeOffset value)
    {
        if (DurationText.TryParse(text, out var ago))
        {
            value = now - ago;
            return true;
        }

        return DateTimeOffset.TryParse(
            text.Trim(),
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal,
            out value);
    }
}
