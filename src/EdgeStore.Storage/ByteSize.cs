using System.Globalization;

namespace EdgeStore.Storage;

/// <summary>A byte count as an operator reads it in a log line: "512 KiB", "256 MiB", "1.5 GiB" (binary units).</summary>
public static class ByteSize
{
    public static string Text(long bytes)
    {
        const double KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024;
        var magnitude = Math.Abs(bytes);
        return magnitude >= GiB ? (bytes / GiB).ToString("0.#", CultureInfo.InvariantCulture) + " GiB"
            : magnitude >= MiB ? (bytes / MiB).ToString("0.#", CultureInfo.InvariantCulture) + " MiB"
            : magnitude >= KiB ? (bytes / KiB).ToString("0.#", CultureInfo.InvariantCulture) + " KiB"
            : bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }
}
