namespace EdgeStore.Safety;

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
        return new DiskSpace(drive.AvailableFreeSpace, drive.TotalSize, MountPointOf(directory));
    }

    /// <summary>The longest mount point that contains <paramref name="directory"/> (what filesystem it is on).</summary>
    private static string? MountPointOf(string directory)
    {
        var full = Path.GetFullPath(directory).TrimEnd('/') + "/";
        string? best = null;
        foreach (var drive in DriveInfo.GetDrives())
        {
            var root = drive.RootDirectory.FullName.TrimEnd('/') + "/";
            if (full.StartsWith(root, StringComparison.Ordinal) && (best is null || root.Length > best.Length))
            {
                best = root;
            }
        }

        return best;
    }
}
