namespace EdgeStore.Memory;

/// <summary>One cgroup or cgroup2 line of /proc/self/mountinfo.</summary>
internal sealed record CgroupMount(string Root, string MountPoint, string FileSystemType, string SuperOptions)
{
    public bool HasSuperOption(string option) =>
        SuperOptions.Split(',').Contains(option, StringComparer.Ordinal);
}
