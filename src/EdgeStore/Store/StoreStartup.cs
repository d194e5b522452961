using EdgeStore.Commands;
using EdgeStore.Configuration;
using EdgeStore.Status;
using EdgeStore.Ingest;
using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.Safety;
using EdgeStore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Store;

/// <summary>
/// Opens the daemon's <see cref="TelemetryStore"/> at start: the mmap limit capped (C2) and, in storage-safe mode, 0
/// (C3); the database opened and migrated; the memory governor and maintenance attached; the batch writer created.
/// It starts before the ingest service, and every hosted service starts before ApplicationStarted, on which systemd's
/// READY=1 goes out: READY=1 means "database open and migrated" (docs/ARCHITECTURE.md, C6).
/// </summary>
internal sealed partial class StoreStartup : IHostedService, IAsyncDisposable
{
    private readonly TelemetryStore _store;
    private readonly EdgeStoreSettings _settings;
    private readonly DaemonStatus _status;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<StoreStartup> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly MmapCap _mmapCap;
    private readonly MmapGovernor _mmapGovernor;
    private readonly MemoryFiles _memoryFiles;
    private readonly StorageSafeMode _safeMode;
    private readonly MaintenanceAttachment _maintenance;

    public StoreStartup(
        TelemetryStore store,
        EdgeStoreSettings settings,
        DaemonStatus status,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        MmapCap mmapCap,
        MmapGovernor mmapGovernor,
        MemoryFiles memoryFiles,
        StorageSafeMode safeMode,
        MaintenanceAttachment maintenance)
    {
        _store = store;
        _settings = settings;
        _status = status;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<StoreStartup>();
        _timeProvider = timeProvider;
        _mmapCap = mmapCap;
        _mmapGovernor = mmapGovernor;
        _memoryFiles = memoryFiles;
        _safeMode = safeMode;
        _maintenance = maintenance;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _status.Phase = "opening";
        var storageOptions = IngestOptions.ForStorage(_settings.Storage, _settings.Ingest);

        // The mmap cap counts EdgeStore's cgroup limit as well as MemTotal (docs/ARCHITECTURE.md, C2); from here on the memory
        // governor owns the limits of every connection and lowers them under pressure.
        storageOptions.MmapSizeBytes = _mmapCap.Clamp(storageOptions.MmapSizeBytes, "Storage:MmapSizeMiB").AppliedBytes;

        // Storage-safe mode (C3): after repeated unclean exits, no mapping at all.
        storageOptions.MmapSizeBytes = _safeMode.CapMmap(storageOptions.MmapSizeBytes);

        // The host cancels cancellationToken when a stop is requested during start-up (SIGTERM): a migration under way
        // then rolls its step back and the open ends with OperationCanceledException, which RunCommand turns into exit 0.
        TelemetryDatabase database;
        try
        {
            database = await _store.OpenAsync(storageOptions, _loggerFactory, _timeProvider, new MigrationPhase(_status, _timeProvider), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Start-up is abandoned: the host neither stops the services nor raises ApplicationStopped, so RunMarkerService
            // will not mark this exit clean. It is clean (the step rolled back inside SQLite), and must not count towards
            // storage-safe mode; the status file says "stopped" rather than a migration that no longer runs.
            _status.Migration = null;
            _status.Phase = "stopped";
            _safeMode.MarkCleanExit();
            throw;
        }
        catch (Exception e) when (PlainError.For(e, storageOptions.Path) is { } plain)
        {
            // A file, permission or "not a database" problem: the operator's to fix, said in one line (RunCommand).
            throw new OperatorProblemException(plain, e);
        }
        finally
        {
            _status.Migration = null;
        }

        _status.Phase = "opening";

        // Governor pushes go through the maintenance window lock: a window keeps mmap at 0 until it hands back.
        var connections = database.Connections;
        var target = new MaintenanceAwareMemoryLimitTarget(new SqliteMemoryLimitTarget(connections, _memoryFiles), _maintenance);
        await _mmapGovernor.AttachStorageAsync(target, connections.MmapSizeBytes, connections.CacheSizeBytes, cancellationToken);
        _status.MmapLimitBytes = storageOptions.MmapSizeBytes;
        LogDatabaseOpened(_logger, storageOptions.Path, database.SchemaVersion, storageOptions.Durability, storageOptions.MmapSizeBytes / (1024 * 1024));

        // After the governor: the writer's connection opens at the governed limits.
        var writer = _store.CreateWriter();
        _maintenance.Attach(database, writer);
    }

    /// <summary>The store stays open until the host is disposed: the ingest service drains into it while stopping.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Maintenance lets go of the writer before the writer and the database are closed.</summary>
    public async ValueTask DisposeAsync()
    {
        _maintenance.Detach();
        await _store.DisposeAsync();
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Database {Path} open (schema version {SchemaVersion}, durability {Durability}, mmap limit {MmapMiB} MiB)")]
    private static partial void LogDatabaseOpened(ILogger logger, string path, int schemaVersion, DurabilityLevel durability, long mmapMiB);
}
