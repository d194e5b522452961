using System.Globalization;

namespace EdgeStore.Memory;

/// <summary>The memory lines of `edgestore status`-style output: level, what it is based on, the limits and the counters.</summary>
internal sealed class MemoryStatusReport
{
    private readonly MemoryPressureMonitor _monitor;
    private readonly MmapGovernor _governor;
    private readonly MmapCap _cap;
    private readonly CgroupPaths _cgroup;

    public MemoryStatusReport(MemoryPressureMonitor monitor, MmapGovernor governor, MmapCap cap, CgroupPaths cgroup)
    {
        _monitor = monitor;
        _governor = governor;
        _cap = cap;
        _cgroup = cgroup;
    }

    public IReadOnlyList<string> ToLines()
    {
        var counters = _governor.Counters;
        var effective = _cap.EffectiveMemory;
        var latest = _monitor.Latest;
        var lines = new List<string>(5)
        {
            $"memory pressure: {_monitor.Level} ({_monitor.LevelChanges} level changes; sources: {latest?.Sample.DescribeSources() ?? "not polled yet"}; last reading: {latest?.Assessment.Reason ?? "-"})",
            $"effective RAM: {Bytes(effective.EffectiveBytes)} from {effective.Source} (MemTotal {Bytes(effective.MemTotalBytes)}, cgroup limit {Bytes(effective.CgroupLimitBytes)}; cgroup {_cgroup.Describe()})",
            $"mmap limit: {Bytes(counters.MmapLimitBytes)} (ceiling {Bytes(_governor.CeilingBytes)}, cap {Bytes(_cap.CapBytes)} = 25% of effective RAM); cache_size {Bytes(counters.CacheSizeBytes)}",
            $"memory governor: {counters.LimitChanges} limit changes, {counters.ConnectionsRecycled} connections recycled, ~{Bytes(counters.BytesReleased)} released, {counters.ApplyFailures} failed applies",
        };
        if (_cap.LastClamp is { } clamp)
        {
            lines.Add($"mmap clamped: {clamp.Source} asked {Bytes(clamp.RequestedBytes)}, applied {Bytes(clamp.AppliedBytes)}");
        }

        return lines;
    }

    /// <summary>"256 MiB", "5.9 GiB", "none".</summary>
    public static string Bytes(long? bytes)
    {
        if (bytes is not { } value)
        {
            return "none";
        }

        const double MiB = 1024 * 1024;
        return value >= 1024 * MiB
            ? (value / (1024 * MiB)).ToString("0.#", CultureInfo.InvariantCulture) + " GiB"
            : (value / MiB).ToString("0.#", CultureInfo.InvariantCulture) + " MiB";
    }
}
