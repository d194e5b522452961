using System.Globalization;

namespace EdgeStore.Status;

/// <summary>
/// `write_bytes` of /proc/self/io: bytes this process caused to be sent to the storage layer, the figure that wears
/// an SD card. Null where the file is missing or unreadable (other kernels, hardened /proc).
/// </summary>
internal static class ProcessIo
{
    public static long? ReadWriteBytes(string path = "/proc/self/io")
    {
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                if (line.StartsWith("write_bytes:", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan("write_bytes:".Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes))
                {
                    return bytes;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return null;
    }
}
