using System.Globalization;

namespace EdgeStore.Memory;

/// <summary>
/// One PSI file (/proc/pressure/memory or a cgroup v2 memory.pressure): the share of wall time in which
/// some (at least one) or all (full) non-idle tasks were stalled waiting for memory. Averages are
/// percentages; totals are cumulative microseconds, so their growth between two polls is the stall
/// actually suffered in that interval, which reacts faster than avg10.
/// </summary>
internal sealed record PressureStall(
    double SomeAvg10Percent,
    double SomeAvg60Percent,
    long SomeTotalMicroseconds,
    double FullAvg10Percent,
    double FullAvg60Percent,
    long FullTotalMicroseconds)
{
    public const string SystemPath = "/proc/pressure/memory";

    /// <summary>
    /// Parses "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" and the matching "full" line.
    /// The "full" line is missing on kernels before 5.13 for CPU, and may be missing anywhere: it reads as zero.
    /// Returns null when the text is absent or has no "some" line (PSI disabled reads as EOPNOTSUPP: null text).
    /// </summary>
    public static PressureStall? Parse(string? text)
    {
        if (text is null)
        {
            return null;
        }

        (double Avg10, double Avg60, long Total)? some = null;
        (double Avg10, double Avg60, long Total)? full = null;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            var line = rawLine.Trim();
            if (line.StartsWith("some ", StringComparison.Ordinal))
            {
                some = ParseLine(line[5..]);
            }
            else if (line.StartsWith("full ", StringComparison.Ordinal))
            {
                full = ParseLine(line[5..]);
            }
        }

        if (some is null)
        {
            return null;
        }

        var f = full ?? (0, 0, 0);
        return new PressureStall(some.Value.Avg10, some.Value.Avg60, some.Value.Total, f.Avg10, f.Avg60, f.Total);
    }

    private static (double Avg10, double Avg60, long Total)? ParseLine(ReadOnlySpan<char> fields)
    {
        double? avg10 = null;
        double? avg60 = null;
        long? total = null;
        foreach (var range in fields.Split(' '))
        {
            var field = fields[range];
            var equals = field.IndexOf('=');
            if (equals <= 0)
            {
                continue;
            }

            var key = field[..equals];
            var value = field[(equals + 1)..];
            if (key.SequenceEqual("avg10") && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var a10))
            {
                avg10 = a10;
            }
            else if (key.SequenceEqual("avg60") && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var a60))
            {
                avg60 = a60;
            }
            else if (key.SequenceEqual("total") && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
            {
                total = t;
            }
        }

        return avg10 is null || total is null ? null : (avg10.Value, avg60 ?? 0, total.Value);
    }
}
