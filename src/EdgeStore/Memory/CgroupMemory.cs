using System.Globalization;

namespace EdgeStore.Memory;

/// <summary>
/// Reads the memory files of EdgeStore's own cgroup through <see cref="MemoryFiles"/>. Every reading
/// tolerates its file being absent (no cgroup, v2 without the memory controller, v1 without a hierarchy)
/// and then returns null, so the monitor uses whatever this host offers.
/// </summary>
internal sealed class CgroupMemory
{
    /// <summary>
    /// v1 reports "no limit" as a huge number (LONG_MAX rounded down to a page, 9223372036854771712 on 4 KiB
    /// pages). Anything at or above 2^62 is treated as no limit: no real machine has 4 EiB.
    /// </summary>
    public const long NoLimitThresholdBytes = 1L << 62;

    private readonly MemoryFiles _files;

    public CgroupMemory(MemoryFiles files, CgroupPaths paths)
    {
        _files = files;
        Paths = paths;
    }

    public CgroupPaths Paths { get; }

    /// <summary>
    /// The tightest memory limit that applies to EdgeStore's cgroup, walking up to the hierarchy's root
    /// (a parent's limit binds its children). v2 memory.max ("max" = none), v1 memory.limit_in_bytes
    /// (v1's memory.stat hierarchical_memory_limit already is that minimum when present). Null: no limit.
    /// </summary>
    public long? ReadLimitBytes()
    {
        long? tightest = null;
        if (Paths.V2Directory is not null && Paths.V2MountPoint is not null)
        {
            foreach (var directory in SelfAndAncestors(Paths.V2Directory, Paths.V2MountPoint))
            {
                tightest = Min(tightest, ParseLimit(_files.TryReadText(directory + "/memory.max")));
            }
        }

        if (Paths.V1MemoryDirectory is not null && Paths.V1MemoryMountPoint is not null)
        {
            var stat = ReadStat(Paths.V1MemoryDirectory);
            if (stat is not null && stat.TryGetValue("hierarchical_memory_limit", out var hierarchical))
            {
                tightest = Min(tightest, hierarchical >= NoLimitThresholdBytes ? null : hierarchical);
            }

            foreach (var directory in SelfAndAncestors(Paths.V1MemoryDirectory, Paths.V1MemoryMountPoint))
            {
                tightest = Min(tightest, ParseLimit(_files.TryReadText(directory + "/memory.limit_in_bytes")));
            }
        }

        return tightest;
    }

    /// <summary>Usage against the limit of the cgroup itself (v2 memory.current/max, else v1 usage_in_bytes/limit); null without a limit.</summary>
    public CgroupMemoryUsage? ReadUsage(long? limitBytes)
    {
        if (limitBytes is not > 0)
        {
            return null;
        }

        if (Paths.V2Directory is not null && ParseLimit(_files.TryReadText(Paths.V2Directory + "/memory.current")) is { } current)
        {
            var stat = ReadStat(Paths.V2Directory);
            return new CgroupMemoryUsage(current, stat?.GetValueOrDefault("inactive_file") ?? 0, limitBytes.Value);
        }

        if (Paths.V1MemoryDirectory is not null && ParseLimit(_files.TryReadText(Paths.V1MemoryDirectory + "/memory.usage_in_bytes")) is { } usage)
        {
            var stat = ReadStat(Paths.V1MemoryDirectory);
            var inactiveFile = stat?.GetValueOrDefault("total_inactive_file") ?? stat?.GetValueOrDefault("inactive_file") ?? 0;
            return new CgroupMemoryUsage(usage, inactiveFile, limitBytes.Value);
        }

        return null;
    }

    /// <summary>v2 memory.events, else the v1 equivalents; null when neither exists.</summary>
    public CgroupMemoryEvents? ReadEvents()
    {
        if (Paths.V2Directory is not null && CgroupMemoryEvents.ParseV2(_files.TryReadText(Paths.V2Directory + "/memory.events")) is { } v2)
        {
            return v2;
        }

        return Paths.V1MemoryDirectory is null
            ? null
            : CgroupMemoryEvents.ParseV1(
                _files.TryReadText(Paths.V1MemoryDirectory + "/memory.failcnt"),
                _files.TryReadText(Paths.V1MemoryDirectory + "/memory.oom_control"));
    }

    /// <summary>The cgroup's own PSI (v2 memory.pressure; present on hybrid hosts too). Null when absent.</summary>
    public PressureStall? ReadPressure() =>
        Paths.V2Directory is null ? null : PressureStall.Parse(_files.TryReadText(Paths.V2Directory + "/memory.pressure"));

    /// <summary>Parses a limit or usage file; "max" and the v1 sentinel read as null (no limit).</summary>
    public static long? ParseLimit(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var trimmed = text.Trim();
        if (trimmed == "max" || !long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return null;
        }

        return value >= NoLimitThresholdBytes ? null : value;
    }

    private Dictionary<string, long>? ReadStat(string directory)
    {
        var text = _files.TryReadText(directory + "/memory.stat");
        return text is null ? null : CgroupMemoryEvents.ParseKeyValues(text);
    }

    private static IEnumerable<string> SelfAndAncestors(string directory, string mountPoint)
    {
        var current = directory.TrimEnd('/');
        var root = mountPoint.TrimEnd('/');
        for (var depth = 0; depth < 64; depth++)
        {
            yield return current;
            if (current.Length <= root.Length || !current.StartsWith(root, StringComparison.Ordinal))
            {
                yield break;
            }

            var slash = current.LastIndexOf('/');
            if (slash < root.Length)
            {
                yield break;
            }

            current = current[..slash];
        }
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}
