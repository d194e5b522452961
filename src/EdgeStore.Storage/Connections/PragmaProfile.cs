namespace EdgeStore.Storage;

/// <summary>
/// The PRAGMA values one connection reported when read back after the profile was applied
/// (docs/ARCHITECTURE.md, Storage). These are the engine's values, not the requested ones: a difference means SQLite capped it.
/// </summary>
/// <param name="CacheSize">Raw <c>cache_size</c>: negative means KiB, positive means pages.</param>
public sealed record PragmaProfile(
    string JournalMode,
    int Synchronous,
    long BusyTimeoutMs,
    long CacheSize,
    long MmapSizeBytes,
    long JournalSizeLimitBytes,
    long WalAutocheckpointPages,
    int TempStore,
    bool ForeignKeys)
{
    /// <summary><c>synchronous</c> as SQLite numbers it: 1 is NORMAL, 2 is FULL.</summary>
    public const int SynchronousNormal = 1;

    public const int SynchronousFull = 2;

    /// <summary><c>temp_store</c> 2 is MEMORY.</summary>
    public const int TempStoreMemory = 2;

    /// <summary>The page cache limit in bytes, whichever form <c>cache_size</c> is in (pages are 4096 bytes here).</summary>
    public long CacheSizeBytes => CacheSize < 0 ? -CacheSize * 1024 : CacheSize * 4096;
}
