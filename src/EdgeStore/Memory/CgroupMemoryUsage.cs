namespace EdgeStore.Memory;

/// <summary>
/// Usage of EdgeStore's cgroup against its limit. Usage counts page cache, which a cgroup with a limit fills
/// up to the limit on any file-heavy host; so the classifier compares the working set (usage minus
/// inactive file pages, which the kernel drops first and cheaply) rather than raw usage.
/// </summary>
internal sealed record CgroupMemoryUsage(long UsageBytes, long InactiveFileBytes, long LimitBytes)
{
    public long WorkingSetBytes => Math.Max(0, UsageBytes - InactiveFileBytes);

    public double WorkingSetPercentOfLimit => LimitBytes <= 0 ? 0 : 100.0 * WorkingSetBytes / LimitBytes;
}
