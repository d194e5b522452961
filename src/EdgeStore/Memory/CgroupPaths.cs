namespace EdgeStore.Memory;

/// <summary>
/// Where EdgeStore's own cgroup lives, as system paths (resolved through <see cref="MemoryFiles"/> when read).
/// A hybrid host has both: the v1 memory controller carries the limit and usage, the v2 tree carries
/// memory.pressure (PSI is tracked per v2 cgroup whether or not the v2 memory controller is enabled).
/// </summary>
internal sealed record CgroupPaths(
    string? V2Directory,
    string? V2MountPoint,
    string? V1MemoryDirectory,
    string? V1MemoryMountPoint)
{
    public static CgroupPaths None { get; } = new(null, null, null, null);

    public bool HasAny => V2Directory is not null || V1MemoryDirectory is not null;

    /// <summary>"v1 memory /sys/fs/cgroup/memory/a; v2 /sys/fs/cgroup/unified/" for logs and status.</summary>
    public string Describe()
    {
        var parts = new List<string>(2);
        if (V1MemoryDirectory is not null)
        {
            parts.Add($"v1 memory {V1MemoryDirectory}");
        }

        if (V2Directory is not null)
        {
            parts.Add($"v2 {V2Directory}");
        }

        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }
}
