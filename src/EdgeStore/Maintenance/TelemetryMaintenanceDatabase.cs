using EdgeStore.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Maintenance;

/// <summary>
/// Maintenance's view of the running store: the one <see cref="BatchWriter"/> (paused at batch
/// boundaries, work run on its connection) and the <see cref="SqliteConnectionFactory"/> (limits for
/// new opens, reader pool, live mmap report).
/// </summary>
internal sealed class TelemetryMaintenanceDatabase : IMaintenanceDatabase
{
    private readonly SqliteConnectionFactory _connections;
    private readonly BatchWriter _writer;

    public TelemetryMaintenanceDatabase(TelemetryDatabase database, BatchWriter writer)
    {
        ArgumentNullException.ThrowIfNull(database);
        _connections = database.Connections;
        _writer = writer;
    }

    public string DatabasePath => _connections.DatabasePath;

    public Task<IAsyncDisposable> PauseWriterAsync(CancellationToken ct) => _writer.PauseAsync(ct);

    public async Task<T> RunOnWriterAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        T result = default!;
        await _writer.RunOnWriterAsync(async (connection, token) => result = await work(connection, token), ct);
        return result;
    }

    public long ApplyMmapSize(SqliteConnection connection, long mmapBytes) => _connections.ApplyMmapSize(connection, mmapBytes);

    public void SetMmapLimit(long mmapBytes) => _connections.SetMemoryLimits(mmapBytes, _connections.CacheSizeBytes);

    public void ClearReaderPool() => _connections.ClearReaderPool();

    public IReadOnlyList<long> LiveConnectionMmapBytes() =>
        [.. _connections.LiveConnectionMappings().Select(mapping => mapping.MmapSizeBytes)];
}
