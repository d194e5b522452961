namespace EdgeStore.Maintenance;

/// <summary>
/// Reads free space with statvfs through DriveInfo, which on Linux accepts any path on the
/// filesystem. Only metadata is read: the database files themselves are never opened here.
/// </summary>
internal sealed class StatvfsDiskSpaceProbe : IDiskSpaceProbe
{
    public DiskSpace Measure(string path)
    {
        var directory = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        var drive = new DriveInfo(directory);
        return new DiskSpace(drive.AvailableFreeSpace, drive.TotalSize);
    }
}
