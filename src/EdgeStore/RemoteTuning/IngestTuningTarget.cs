using EdgeStore.Status;
using EdgeStore.Storage;
using EdgeStore.Store;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Applies the storage and ingest tunables to the running pipeline: batch size and latency on the writer (from its
/// next batch), the memory map and cache on every connection through the connection factory (the writer re-applies
/// them at its next batch boundary, idle readers are recycled), and the durability level on the writer connection at
/// a batch boundary. Before the store is open there is nothing to change: the settings it opens with already hold the
/// tuned values.
/// </summary>
internal sealed class IngestTuningTarget(TelemetryStore store, DaemonStatus status) : ILiveTuningTarget
{
    public string Name => "storage";

    /// <summary>
    /// Set when the memory governor owns the connection limits: the mmap ceiling is then requested from it (it may
    /// hold the limit lower under pressure) instead of being written to the factory directly.
    /// </summary>
    public Func<SqliteConnectionFactory, long, long, CancellationToken, ValueTask>? MemoryLimitsOverride { get; set; }

    public async ValueTask ApplyAsync(TunedValues previous, TunedValues next, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        var writer = store.Writer;
        var database = store.Database;
        if (writer is null || database is null)
        {
            return;
        }

        writer.MaxBatchRows = next.MaxBatchRows;
        writer.MaxBatchLatency = next.MaxBatchLatency;

        if (next.MmapSizeBytes != previous.MmapSizeBytes || next.CacheSizeBytes != previous.CacheSizeBytes
            || next.MmapSizeBytes != database.Connections.MmapSizeBytes)
        {
            if (MemoryLimitsOverride is { } governed)
            {
                await governed(database.Connections, next.MmapSizeBytes, next.CacheSizeBytes, ct);
            }
            else
            {
                database.Connections.SetMemoryLimits(next.MmapSizeBytes, next.CacheSizeBytes);
                status.MmapLimitBytes = next.MmapSizeBytes;
            }
        }

        if (!string.Equals(next.Durability, previous.Durability, StringComparison.Ordinal))
        {
            var pragma = string.Equals(next.Durability, "Full", StringComparison.Ordinal) ? "FULL" : "NORMAL";
            await writer.RunOnWriterAsync(
                async (connection, token) =>
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = $"PRAGMA synchronous = {pragma}";
                    await command.ExecuteNonQueryAsync(token);
                },
                ct);
        }
    }
}
