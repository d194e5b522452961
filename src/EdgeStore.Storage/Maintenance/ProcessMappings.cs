using System.Globalization;

namespace EdgeStore.Storage.Maintenance;

/// <summary>
/// How this process maps one file, from /proc/self/maps: the one parser of that file. Each SQLite connection with
/// mmap_size &gt; 0 that has read the database holds one mapping of it (at most mmap_size bytes), so the sizes are the
/// ground truth for "no connection keeps a larger mapping", and a count of 0 proves that nothing maps the file before
/// anything shrinks it. Only the path asked for counts: SQLite always maps -shm (that is how WAL shared memory works),
/// and the -wal and -shm files are separate paths.
/// </summary>
public sealed class ProcessMappings
{
    public const string MapsPath = "/proc/self/maps";
    private const string DeletedSuffix = " (deleted)";

    public ProcessMappings(IReadOnlyList<long> sizesBytes)
    {
        ArgumentNullException.ThrowIfNull(sizesBytes);
        SizesBytes = sizesBytes;
    }

    public static ProcessMappings None { get; } = new([]);

    /// <summary>One entry per mapping of the file, in bytes.</summary>
    public IReadOnlyList<long> SizesBytes { get; }

    public int Count => SizesBytes.Count;

    public long TotalBytes => SizesBytes.Sum();

    public long LargestBytes => SizesBytes.Count == 0 ? 0 : SizesBytes.Max();

    public int CountLargerThan(long bytes) => SizesBytes.Count(size => size > bytes);

    /// <summary>This process's mappings of <paramref name="path"/> (made absolute); none when /proc is absent.</summary>
    public static ProcessMappings Of(string path)
    {
        string? maps;
        try
        {
            maps = File.ReadAllText(MapsPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            maps = null;
        }

        return Parse(maps, Path.GetFullPath(path));
    }


    /// <summary>
    /// Parses maps text, "start-end perms offset dev inode   path", keeping the lines whose path is exactly
    /// <paramref name="filePath"/> (an absolute path; a mapping of a file deleted since counts too).
    /// </summary>
    public static ProcessMappings Parse(string? mapsText, string filePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(filePath);
        if (mapsText is null)
        {
            return None;
        }

        var sizes = new List<long>();
        foreach (var line in mapsText.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // The path starts after five whitespace-separated fields and may itself contain spaces.
            var fields = line.Split((char[]?)null, 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6)
            {
                continue;
            }

            var mapped = fields[5].Trim();
            if (mapped.EndsWith(DeletedSuffix, StringComparison.Ordinal))
            {
                mapped = mapped[..^DeletedSuffix.Length];
            }

            if (!string.Equals(mapped, filePath, StringComparison.Ordinal))
            {
                continue;
            }

            var dash = fields[0].IndexOf('-', StringComparison.Ordinal);
            if (dash > 0
                && ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                && ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end)
                && end >= start)
            {
                sizes.Add((long)(end - start));
            }
        }

        return new ProcessMappings(sizes);
    }

    /// <summary>"3 mappings: 50331648, 50331648, 33554432 bytes" for assertion messages and logs.</summary>
    public override string ToString() =>
        Count == 0 ? "no mapping" : $"{Count} mappings: {string.Join(", ", SizesBytes)} bytes";
}
