using System.Globalization;

namespace EdgeStore.Bench.MqttClients;

/// <summary>What the kernel says a process holds: RssAnon from /proc/PID/status (heap, stacks, native buffers: the
/// memory pressure cannot reclaim).</summary>
internal static class ProcessMemory
{
    /// <summary>RssAnon of <paramref name="pid"/> ("self" for this process) in KiB, or -1 when unreadable.</summary>
    public static long RssAnonKiB(string pid = "self")
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    return long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // The process is gone.
        }

        return -1;
    }
}
