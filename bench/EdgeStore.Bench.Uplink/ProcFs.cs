using System.Globalization;

namespace EdgeStore.Bench.Uplink;

/// <summary>Reads what the kernel says about a process: memory from /proc/PID/status, CPU from /proc/PID/stat.</summary>
internal static class ProcFs
{
    // utime/stime are in USER_HZ, which Linux fixes at 100 for every user-space ABI.
    private const double TicksPerSecond = 100.0;

    /// <summary>The kB value of a /proc/PID/status field (VmHWM, VmRSS, RssAnon, RssFile), or null if unreadable.</summary>
    public static Dictionary<string, long> ReadStatusKiB(int pid, params string[] fields)
    {
        var values = new Dictionary<string, long>();
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return values;
        }
        catch (UnauthorizedAccessException)
        {
            return values;
        }

        foreach (var line in lines)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            if (Array.IndexOf(fields, name) < 0)
            {
                continue;
            }

            var number = line[(colon + 1)..].Trim().Split(' ')[0];
            if (long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out var kib))
            {
                values[name] = kib;
            }
        }

        return values;
    }

    /// <summary>User + system CPU time of a process (or of one thread, given its task path), or null once it is gone.</summary>
    public static TimeSpan? ReadCpu(string statPath)
    {
        string text;
        try
        {
            text = File.ReadAllText(statPath);
        }
        catch (IOException)
        {
            return null;
        }

        // The command name is in parentheses and may contain spaces; fields after it are space-separated.
        var close = text.LastIndexOf(')');
        var rest = text[(close + 2)..].Split(' ');

        // rest[0] is field 3 (state); utime is field 14, stime field 15.
        var utime = long.Parse(rest[11], CultureInfo.InvariantCulture);
        var stime = long.Parse(rest[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((utime + stime) / TicksPerSecond);
    }

    public static TimeSpan? ReadProcessCpu(int pid) => ReadCpu($"/proc/{pid}/stat");

    /// <summary>CPU time per thread name (threads of the same name summed), from /proc/PID/task.</summary>
    public static Dictionary<string, TimeSpan> ReadThreadCpu(int pid)
    {
        var byName = new Dictionary<string, TimeSpan>();
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories($"/proc/{pid}/task");
        }
        catch (IOException)
        {
            return byName;
        }

        foreach (var task in tasks)
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var name = stat[(open + 1)..close];
            var cpu = ReadCpu(Path.Combine(task, "stat")) ?? TimeSpan.Zero;
            byName[name] = byName.GetValueOrDefault(name) + cpu;
        }

        return byName;
    }
}
