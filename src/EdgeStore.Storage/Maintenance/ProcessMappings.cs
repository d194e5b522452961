namespace EdgeStore.Storage.Maintenance;

/// <summary>
/// Reads /proc/self/maps to prove that no memory map of the database file exists in this process
/// before anything shrinks it. Only the main file matters: SQLite always maps -shm (that is how
/// WAL shared memory works), and SQLite never truncates -shm under its own lock.
/// </summary>
public static class ProcessMappings
{
    public const string MapsPath = "/proc/self/maps";

    public static bool IsAvailable => File.Exists(MapsPath);

    /// <summary>Number of mapped regions backed by <paramref name="path"/> (0 when /proc is absent).</summary>
    public static int CountMappingsOf(string path)
    {
        if (!IsAvailable)
        {
            return 0;
        }

        var full = Path.GetFullPath(path);
        var count = 0;
        foreach (var line in File.ReadLines(MapsPath))
        {
            // Format: address perms offset dev inode pathname; the path is the rest of the line after the inode.
            var slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                continue;
            }

            var mapped = line[slash..];
            if (mapped.EndsWith(" (deleted)", StringComparison.Ordinal))
            {
                mapped = mapped[..^" (deleted)".Length];
            }

            if (string.Equals(mapped, full, StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }
}
