namespace EdgeStore.Memory;

/// <summary>
/// Everything one poll read, each part null when its source does not exist on this host.
/// Kept whole so the classifier can compare cumulative counters with the previous poll.
/// </summary>
internal sealed record MemorySample(
    DateTimeOffset TakenAt,
    MemInfo? MemInfo,
    PressureStall? SystemPressure,
    PressureStall? CgroupPressure,
    CgroupMemoryEvents? CgroupEvents,
    CgroupMemoryUsage? CgroupUsage)
{
    public double? AvailablePercent =>
        MemInfo is { MemAvailableBytes: { } available, MemTotalBytes: > 0 } info ? 100.0 * available / info.MemTotalBytes : null;

    /// <summary>Which sources answered, e.g. "meminfo, PSI, cgroup PSI, cgroup events, cgroup usage".</summary>
    public string DescribeSources()
    {
        var sources = new List<string>(5);
        if (MemInfo is not null)
        {
            sources.Add("meminfo");
        }

        if (SystemPressure is not null)
        {
            sources.Add("PSI");
        }

        if (CgroupPressure is not null)
        {
            sources.Add("cgroup PSI");
        }

        if (CgroupEvents is not null)
        {
            sources.Add("cgroup events");
        }

        if (CgroupUsage is not null)
        {
            sources.Add("cgroup usage");
        }

        return sources.Count == 0 ? "none" : string.Join(", ", sources);
    }
}
