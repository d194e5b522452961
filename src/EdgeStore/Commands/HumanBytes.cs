using System.Globalization;

namespace EdgeStore.Commands;

/// <summary>Byte counts for people, in powers of 1024 with one decimal: `812 B`, `12.5 KiB`, `1.2 GiB`.</summary>
internal static class HumanBytes
{
    private static readonly string[] Units = ["KiB", "MiB", "GiB", "TiB", "PiB"];

    public static string Format(long bytes)
    {
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        // 1023.96 KiB would print as "1024.0 KiB": say "1.0 MiB" instead.
        if (Math.Round(value, 1) >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:F1} {Units[unit]}");
    }
}
