namespace EdgeStore.Maintenance;

/// <summary>Space on one filesystem, as seen by an unprivileged process (f_bavail).</summary>
internal readonly record struct DiskSpace(long AvailableBytes, long TotalBytes)
{
    public double AvailablePercent => TotalBytes > 0 ? AvailableBytes * 100.0 / TotalBytes : 100.0;
}
