using Microsoft.Extensions.Logging;

namespace EdgeStore.Storage;

/// <summary>
/// The telemetry database of this process: opened and migrated once, with one connection factory (the PRAGMA
/// profile), one reader pool and at most one batch writer at a time.
/// </summary>
public sealed class TelemetryDatabase : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _writerLock = new();
    private BatchWriter? _writer;

    private TelemetryDatabase(StorageOptions options, SqliteConnectionFactory connections, int schemaVersion, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        Options = options;
        Connections = connections;
        SchemaVersion = schemaVersion;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        Reader = new TelemetryReader(connections.OpenReader, options.ReaderPoolSize);
    }

    public StorageOptions Options { get; }

    public SqliteConnectionFactory Connections { get; }

    public TelemetryReader Reader { get; }

    public int SchemaVersion { get; }

    /// <summary>The schema version this build creates and understands.</summary>
    public static int LatestSchemaVersion => SchemaMigrator.LatestVersion;

    /// <summary>
    /// Creates the directory and the file when missing, applies the profile, migrates through user_version.
    /// Throws <see cref="UnsupportedSchemaVersionException"/> for a file written by a newer EdgeStore.
    /// </summary>
    public static Task<TelemetryDatabase> OpenAsync(StorageOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider, CancellationToken ct) =>
        OpenAsync(options, loggerFactory, timeProvider, migrationProgress: null, ct);

    /// <summary>
    /// As <see cref="OpenAsync(StorageOptions, ILoggerFactory, TimeProvider, CancellationToken)"/>, telling
    /// <paramref name="migrationProgress"/> where a migration stands. Cancelling <paramref name="ct"/> stops a migration
    /// within moments: the step under way rolls back (the file stays at the last completed version) and the returned task
    /// is cancelled.
    /// </summary>
    public static Task<TelemetryDatabase> OpenAsync(
        StorageOptions options,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        IProgress<MigrationProgress>? migrationProgress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        options.Validate();
        return Task.Run(() => Open(options, loggerFactory, timeProvider, migrationProgress, ct), ct);
    }

    /// <summary>Opens the one writer; a second one is refused until the first is disposed.</summary>
    public BatchWriter CreateWriter()
    {
        lock (_writerLock)
        {
            if (_writer is not null)
            {
                throw new InvalidOperationException("This database already has a batch writer; dispose it before creating another.");
            }

            _writer = new BatchWriter(Connections, Options, _loggerFactory.CreateLogger<BatchWriter>(), _timeProvider, OnWriterDisposed);
            return _writer;
        }
    }

    public async ValueTask DisposeAsync()
    {
        BatchWriter? writer;
        lock (_writerLock)
        {
            writer = _writer;
        }

        if (writer is not null)
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }

        Connections.ClearReaderPool();
    }

    private static TelemetryDatabase Open(
        StorageOptions options,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        IProgress<MigrationProgress>? migrationProgress,
        CancellationToken ct)
    {
        var logger = loggerFactory.CreateLogger<TelemetryDatabase>();
        var path = Path.GetFullPath(options.Path);
        var directory = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var connections = new SqliteConnectionFactory(options, loggerFactory.CreateLogger<SqliteConnectionFactory>());
        int version;
        using (var connection = connections.OpenWriter())
        {
            version = SchemaMigrator.Migrate(connection, path, logger, SchemaMigrator.LatestVersion, migrationProgress, ct);
        }

        var profile = connections.LastWriterProfile!;
        var synchronous = profile.Synchronous switch
        {
            0 => "OFF",
            1 => "NORMAL",
            2 => "FULL",
            3 => "EXTRA",
            var other => other.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        StorageLog.DatabaseOpened(logger, path, version, profile.JournalMode, synchronous, profile.MmapSizeBytes / 1048576.0, profile.CacheSizeBytes / 1048576.0);
        return new TelemetryDatabase(options, connections, version, loggerFactory, timeProvider);
    }

    private void OnWriterDisposed()
    {
        lock (_writerLock)
        {
            _writer = null;
        }
    }
}
