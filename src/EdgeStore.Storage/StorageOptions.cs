namespace EdgeStore.Storage;

/// <summary>
/// The single source of storage defaults (docs/ARCHITECTURE.md, Storage). The caller passes an already capped
/// <see cref="MmapSizeBytes"/>: storage does not know the machine's RAM, the memory governor does.
/// </summary>
public sealed class StorageOptions
{
    /// <summary>Database file path; its directory is created when missing.</summary>
    public required string Path { get; set; }

    public DurabilityLevel Durability { get; set; } = DurabilityLevel.Normal;

    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Page cache per connection, applied as <c>cache_size</c> in its negative KiB form.</summary>
    public long CacheSizeBytes { get; set; } = 8L * 1024 * 1024;

    public long MmapSizeBytes { get; set; } = 256L * 1024 * 1024;

    public long JournalSizeLimitBytes { get; set; } = 64L * 1024 * 1024;

    public int WalAutocheckpointPages { get; set; } = 1000;

    /// <summary>At most this many reader connections run queries at once (and so sit idle in the pool).</summary>
    public int ReaderPoolSize { get; set; } = 4;

    /// <summary>A batch commits when it holds this many records...</summary>
    public int MaxBatchRows { get; set; } = 2000;

    /// <summary>...or when this long has passed since its first record was taken, whichever comes first.</summary>
    public TimeSpan MaxBatchLatency { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException("Storage path must not be empty.", nameof(Path));
        }

        Require(BusyTimeout >= TimeSpan.Zero && BusyTimeout.TotalMilliseconds <= int.MaxValue, nameof(BusyTimeout), "must be between 0 and int.MaxValue ms");
        Require(CacheSizeBytes >= 0, nameof(CacheSizeBytes), "must not be negative");
        Require(MmapSizeBytes >= 0, nameof(MmapSizeBytes), "must not be negative");
        Require(JournalSizeLimitBytes >= -1, nameof(JournalSizeLimitBytes), "must be -1 (no limit) or more");
        Require(WalAutocheckpointPages >= 0, nameof(WalAutocheckpointPages), "must not be negative");
        Require(ReaderPoolSize >= 1, nameof(ReaderPoolSize), "must be at least 1");
        Require(MaxBatchRows >= 1, nameof(MaxBatchRows), "must be at least 1");
        Require(MaxBatchLatency >= TimeSpan.Zero, nameof(MaxBatchLatency), "must not be negative");
    }

    private static void Require(bool condition, string name, string reason)
    {
        if (!condition)
        {
            throw new ArgumentException($"Storage option {name} {reason}.", name);
        }
    }
}
