using System.Globalization;

namespace EdgeStore.Memory;

/// <summary>The two lines of /proc/meminfo the memory capability needs, in bytes.</summary>
internal sealed record MemInfo(long MemTotalBytes, long? MemAvailableBytes)
{
    public const string SystemPath = "/proc/meminfo";

    /// <summary>
    /// Parses /proc/meminfo ("MemTotal:       24684096 kB"). MemAvailable is absent on kernels before 3.14;
    /// it is then null and the classifier simply does not use it. Returns null when MemTotal is missing.
    /// </summary>
    public static MemInfo? Parse(string? text)
    {
        if (text is null)
        {
            return null;
        }

        long? total = null;
        long? available = null;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            if (!name.SequenceEqual("MemTotal") && !name.SequenceEqual("MemAvailable"))
            {
                continue;
            }

            var value = ParseKiloBytes(line[(colon + 1)..]);
            if (name.SequenceEqual("MemTotal"))
            {
                total = value;
            }
            else
            {
                available = value;
            }
        }

        return total is > 0 ? new MemInfo(total.Value, available) : null;
    }

    private static long? ParseKiloBytes(ReadOnlySpan<char> field)
    {
        field = field.Trim();
        var multiplier = 1L;
        if (field.EndsWith("kB", StringComparison.Ordinal))
        {
            multiplier = 1024;
            field = field[..^2].TrimEnd();
        }

        return long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? checked(value * multiplier)
            : null;
    }
}
