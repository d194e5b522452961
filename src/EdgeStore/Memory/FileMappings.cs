using System.Globalization;

namespace EdgeStore.Memory;

/// <summary>
/// How this process maps one file, from /proc/self/maps: each SQLite connection with mmap_size &gt; 0 that
/// has read the database holds one mapping of it (at most mmap_size bytes), so the sizes are the ground
/// truth for "no connection keeps a larger mapping" (the -wal and -shm files are separate paths).
/// </summary>
internal sealed class FileMappings
{
    public const string SelfMapsPath = "/proc/self/maps";

    public FileMappings(IReadOnlyList<long> sizesBytes)
    {
        ArgumentNullException.ThrowIfNull(sizesBytes);
        SizesBytes = sizesBytes;
    }

    public static FileMappings None { get; } = new([]);

    /// <summary>One entry per mapping of the file, in bytes.</summary>
    public IReadOnlyList<long> SizesBytes { get; }

    public int Count => SizesBytes.Count;

    public long TotalBytes => SizesBytes.Sum();

    public long LargestBytes => SizesBytes.Count == 0 ? 0 : SizesBytes.Max();

    public int CountLargerThan(long bytes) => SizesBytes.Count(size => size > bytes);

    /// <summary>The mappings of <paramref name="filePath"/> (an absolute path, compared exactly) in this process.</summary>
    public static FileMappings Of(MemoryFiles files, string filePath)
    {
        ArgumentNullException.ThrowIfNull(files);
        return Parse(files.TryReadText(SelfMapsPath), filePath);
    }

    /// <summary>Parses maps text: "start-end perms offset dev inode   path".</summary>
    public static FileMappings Parse(string? mapsText, string filePath)
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
            if (fields.Length < 6 || fields[5].Trim() != filePath)
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

        return new FileMappings(sizes);
    }

    /// <summary>"3 mappings: 50331648, 50331648, 33554432 bytes" for assertion messages and logs.</summary>
    public override string ToString() =>
        Count == 0 ? "no mapping" : $"{Count} mappings: {string.Join(", ", SizesBytes)} bytes";
}
