namespace EdgeStore.Safety;

/// <summary>Space on one filesystem, as seen by an unprivileged process (f_bavail).</summary>
internal readonly record struct DiskSpace(long AvailableBytes, long TotalBytes, string? MountPoint = null)
{
    /// <summary>True when both were measured on the same filesystem (same mount point; equal figures when unknown).</summary>
    public bool SameFilesystemAs(DiskSpace other) =>
        MountPoint is not null && other.MountPoint is not null
            ? string.Equals(MountPoint, other.MountPoint, StringComparison.Ordinal)
            : this == other;

    public double AvailablePercent => TotalBytes > 0 ? AvailableBytes * 100.0 / TotalBytes : 100.0;
}
