using EdgeStore.Storage;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Store;

/// <summary>
/// The daemon's one open telemetry database and its one batch writer. <see cref="StoreStartup"/> opens it, before
/// ingestion starts; the ingest service runs the writer's loop, remote tuning and maintenance use what is open here.
/// Nothing else opens the database in the daemon.
/// </summary>
internal sealed class TelemetryStore : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private TelemetryDatabase? _database;
    private BatchWriter? _writer;

    /// <summary>The open database, or null before <see cref="OpenAsync"/> has finished.</summary>
    public TelemetryDatabase? Database
    {
        get
        {
            lock (_gate)
            {
                return _database;
            }
        }
    }

    /// <summary>The batch writer of the open database, or null before <see cref="OpenAsync"/> has finished.</summary>
    public BatchWriter? Writer
    {
        get
        {
            lock (_gate)
            {
                return _writer;
            }
        }
    }

    /// <summary>Opens and migrates the database; a store is opened once.</summary>
    public Task<TelemetryDatabase> OpenAsync(StorageOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider, CancellationToken ct) =>
        OpenAsync(options, loggerFactory, timeProvider, migrationProgress: null, ct);

    /// <summary>
    /// Opens and migrates the database, telling <paramref name="migrationProgress"/> where a migration stands; cancelling
    /// <paramref name="ct"/> stops a migration with its step rolled back. A store is opened once.
    /// </summary>
    public async Task<TelemetryDatabase> OpenAsync(
        StorageOptions options,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        IProgress<MigrationProgress>? migrationProgress,
        CancellationToken ct)
    {
        lock (_gate)
        {
            if (_database is not null)
            {
                throw new InvalidOperationException("The telemetry store is already open; the daemon opens its database once.");
            }
        }

        var database = await TelemetryDatabase.OpenAsync(options, loggerFactory, timeProvider, migrationProgress, ct).ConfigureAwait(false);
        lock (_gate)
        {
            _database = database;
        }

        return database;
    }

    /// <summary>
    /// Creates the one batch writer of the open database. A separate step so that the memory governor is attached
    /// first: the writer's connection then opens at the governed limits.
    /// </summary>
    public BatchWriter CreateWriter()
    {
        lock (_gate)
        {
            var database = _database ?? throw new InvalidOperationException("The telemetry store is not open yet.");
            _writer = database.CreateWriter();
            return _writer;
        }
    }

    /// <summary>Closes the writer, then the database. Safe to call more than once.</summary>
    public async ValueTask DisposeAsync()
    {
        TelemetryDatabase? database;
        BatchWriter? writer;
        lock (_gate)
        {
            (database, writer) = (_database, _writer);
            (_database, _writer) = (null, null);
        }

        if (writer is not null)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }

        if (database is not null)
        {
            await database.DisposeAsync().ConfigureAwait(false);
        }
    }
}
