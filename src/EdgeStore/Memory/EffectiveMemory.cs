namespace EdgeStore.Memory;

/// <summary>
/// The RAM EdgeStore may really use: the smaller of MemTotal and its cgroup's memory limit (docs/ARCHITECTURE.md, C2).
/// When /proc/meminfo cannot be read and no cgroup limit exists the amount is unknown; the cap then
/// assumes <see cref="AssumedWhenUnknownBytes"/>, the smallest gateway EdgeStore supports, rather than guess high.
/// </summary>
internal sealed record EffectiveMemory(long? MemTotalBytes, long? CgroupLimitBytes)
{
    public const long AssumedWhenUnknownBytes = 512L * 1024 * 1024;

    public bool IsKnown => MemTotalBytes is not null || CgroupLimitBytes is not null;

    public long EffectiveBytes =>
        (MemTotalBytes, CgroupLimitBytes) switch
        {
            ({ } total, { } limit) => Math.Min(total, limit),
            ({ } total, null) => total,
            (null, { } limit) => limit,
            _ => AssumedWhenUnknownBytes,
        };

    /// <summary>"cgroup limit" when the cgroup binds tighter than the machine, for logs and status.</summary>
    public string Source =>
        CgroupLimitBytes is { } limit && (MemTotalBytes is null || limit < MemTotalBytes) ? "cgroup limit"
        : MemTotalBytes is not null ? "MemTotal"
        : "assumed";

    public static EffectiveMemory Read(MemoryFiles files, CgroupMemory cgroup)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(cgroup);
        return new EffectiveMemory(MemInfo.Parse(files.TryReadText(MemInfo.SystemPath))?.MemTotalBytes, cgroup.ReadLimitBytes());
    }
}
