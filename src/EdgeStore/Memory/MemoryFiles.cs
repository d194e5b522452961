namespace EdgeStore.Memory;

/// <summary>
/// The one door through which every /proc and /sys read of the memory capability goes. Paths are written
/// as on a live system ("/proc/meminfo"); the root (default "/") is prepended, so tests point it at a
/// synthetic tree. A file that is missing or unreadable is reported as null, never as an exception:
/// PSI, cgroup files and even /proc/meminfo may be absent, and the monitor must keep running without them.
/// </summary>
internal sealed class MemoryFiles
{
    public MemoryFiles(string rootPath = "/")
    {
        ArgumentException.ThrowIfNullOrEmpty(rootPath);
        RootPath = Path.GetFullPath(rootPath);
    }

    public string RootPath { get; }

    /// <summary>Maps a path as seen on a live system to the same path under <see cref="RootPath"/>.</summary>
    public string Resolve(string systemPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(systemPath);
        var relative = systemPath.TrimStart('/');
        return relative.Length == 0 ? RootPath : Path.Combine(RootPath, relative);
    }

    /// <summary>The whole file, or null when it does not exist or cannot be read (EACCES, EINVAL, EOPNOTSUPP...).</summary>
    public string? TryReadText(string systemPath)
    {
        try
        {
            return File.ReadAllText(Resolve(systemPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }
}
