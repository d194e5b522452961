using Microsoft.Data.Sqlite;

namespace EdgeStore.Maintenance;

/// <summary>
/// What maintenance needs from the running store: the batch writer paused at a batch boundary
/// (ingest keeps queueing, acks wait), work run on the writer connection while paused, the mmap
/// limit for every later open, the reader pool cleared, and each live connection's mmap_size.
/// </summary>
internal interface IMaintenanceDatabase
{
    string DatabasePath { get; }

    /// <summary>Holds the writer idle at a batch boundary until the handle is disposed.</summary>
    Task<IAsyncDisposable> PauseWriterAsync(CancellationToken ct);

    /// <summary>Runs <paramref name="work"/> on the writer connection; only while paused.</summary>
    Task<T> RunOnWriterAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken ct);

    /// <summary>Sets mmap_size on <paramref name="connection"/> (the writer, inside <see cref="RunOnWriterAsync"/>), reads it back, retries; updates the live report.</summary>
    long ApplyMmapSize(SqliteConnection connection, long mmapBytes);

    /// <summary>The mmap limit applied to every connection opened from now on (readers and writer).</summary>
    void SetMmapLimit(long mmapBytes);

    /// <summary>Disposes idle pooled readers now and in-use ones when they are closed.</summary>
    void ClearReaderPool();

    /// <summary>mmap_size of every live connection of this process (writer and readers, pooled or in use).</summary>
    IReadOnlyList<long> LiveConnectionMmapBytes();
}
