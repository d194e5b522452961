using System.Globalization;

namespace EdgeStore.Memory;

/// <summary>
/// Cumulative memory event counters of EdgeStore's cgroup. v2: memory.events (high, max, oom, oom_kill).
/// v1 has no memory.events: memory.failcnt (times usage hit the limit) stands for max, and the oom_kill line
/// of memory.oom_control for oom_kill. Counters only grow; the classifier looks at growth between polls.
/// </summary>
internal sealed record CgroupMemoryEvents(long High, long Max, long Oom, long OomKill)
{
    /// <summary>Parses v2 memory.events ("low 0\nhigh 3\nmax 12\noom 0\noom_kill 0\n..."). Null when absent.</summary>
    public static CgroupMemoryEvents? ParseV2(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var values = ParseKeyValues(text);
        return new CgroupMemoryEvents(
            values.GetValueOrDefault("high"),
            values.GetValueOrDefault("max"),
            values.GetValueOrDefault("oom"),
            values.GetValueOrDefault("oom_kill"));
    }

    /// <summary>Builds the v1 equivalent from memory.failcnt and memory.oom_control. Null when both are absent.</summary>
    public static CgroupMemoryEvents? ParseV1(string? failCountText, string? oomControlText)
    {
        if (failCountText is null && oomControlText is null)
        {
            return null;
        }

        long failCount = 0;
        if (failCountText is not null)
        {
            _ = long.TryParse(failCountText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out failCount);
        }

        var oom = oomControlText is null ? new Dictionary<string, long>() : ParseKeyValues(oomControlText);
        var oomKill = oom.GetValueOrDefault("oom_kill");

        // v1 reports no separate count of OOM situations; under_oom is a state (1 while stuck in OOM), which
        // the classifier treats like a new OOM event.
        return new CgroupMemoryEvents(0, failCount, oom.GetValueOrDefault("under_oom") + oomKill, oomKill);
    }

    /// <summary>"key value" lines, as in memory.events, memory.stat and memory.oom_control.</summary>
    public static Dictionary<string, long> ParseKeyValues(string text)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0)
            {
                continue;
            }

            if (long.TryParse(line.AsSpan(space + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                result[line[..space]] = value;
            }
        }

        return result;
    }
}
