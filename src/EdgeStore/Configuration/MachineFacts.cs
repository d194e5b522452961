namespace EdgeStore.Configuration;

/// <summary>
/// The facts about the machine that configuration defaults depend on, gathered in one place so tests can state them.
/// </summary>
internal sealed record MachineFacts(string HostName, long? MemTotalBytes)
{
    public static MachineFacts Current() => new(Environment.MachineName, ReadMemTotalBytes("/proc/meminfo"));

    /// <summary>MemTotal from a /proc/meminfo-formatted file, or null when it cannot be read.</summary>
    public static long? ReadMemTotalBytes(string meminfoPath)
    {
        try
        {
            foreach (var line in File.ReadLines(meminfoPath))
            {
                // "MemTotal:        3884376 kB"
                if (!line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    continue;
                }

                var fields = line["MemTotal:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 1 && long.TryParse(fields[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var kib))
                {
                    var unit = fields.Length >= 2 ? fields[1] : "kB";
                    return unit == "kB" ? kib * 1024 : kib;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
