using System.Text.Json;
using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.Safety;
using EdgeStore.StateFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Status;

/// <summary>
/// Writes <c>status.json</c> in the state directory every few seconds and once more when the host has stopped (phase
/// "stopped"), for `edgestore status` and any script that wants the daemon's numbers without a socket. Each write goes
/// through <see cref="AtomicFile"/>, so a reader sees either the previous or the next complete document, never a torn one.
/// The first write happens in StartingAsync, which the host runs before any service's StartAsync, so the file exists
/// before the database is opened and is rewritten every interval through a long start-up; every change of phase
/// (opening, migrating and each migration progress report, running, stopping) is also written at once.
/// </summary>
internal sealed partial class StatusFileWriter : BackgroundService, IHostedLifecycleService
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    // The young generation's cap the binary was built with (EdgeStore.csproj), or what DOTNET_GCGen0MaxBudget set; 0 when
    // neither did. Fixed for the process's life, so read once rather than at every status write.
    private static readonly long Gen0MaxBudgetBytes =
        GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var budget) && budget is long bytes ? bytes : 0;

    private readonly string _databasePath;
    private readonly TimeSpan _interval;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly DateTimeOffset _startedAt;
    private readonly int _processId = Environment.ProcessId;
    private readonly Lock _writeGate = new();
    private readonly DaemonHealth _health = new();
    private StatusSources? _sources;
    private DaemonStatus? _phaseSource;
    private ITimer? _startupTimer;
    private bool _failureLogged;

    public StatusFileWriter(string statusPath, string databasePath, TimeSpan interval, IServiceProvider services, TimeProvider timeProvider, ILogger<StatusFileWriter> logger)
    {
        StatusPath = statusPath;
        _databasePath = databasePath;
        _interval = interval;
        _services = services;
        _timeProvider = timeProvider;
        _logger = logger;
        _startedAt = timeProvider.GetUtcNow();
    }

    public string StatusPath { get; }

    /// <summary>Writes the file now; <paramref name="phaseOverride"/> replaces the daemon's phase (the final "stopped").</summary>
    public void WriteNow(string? phaseOverride = null)
    {
        // Serialised: the periodic loop and the ApplicationStopped callback may meet at shutdown.
        lock (_writeGate)
        {
            try
            {
                // Flushed to the kernel, not fsynced: the file describes a live process, a power cut makes it stale
                // anyway, and an fsync every few seconds would wear an SD card for nothing. The rename gives readers
                // the all-or-nothing view.
                AtomicFile.Write(
                    StatusPath,
                    stream =>
                    {
                        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
                        WriteDocument(json, phaseOverride);
                    },
                    syncToDisk: false);
                _failureLogged = false;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (!_failureLogged)
                {
                    _failureLogged = true;
                    LogWriteFailed(_logger, StatusPath, e.Message);
                }
            }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // ApplicationStopped fires after every hosted service (ingestion included) has stopped: the final counts.
        _services.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(() => WriteNow("stopped"));
        _phaseSource = _services.GetService<DaemonStatus>();
        if (_phaseSource is not null)
        {
            _phaseSource.PhaseChanged += OnPhaseChanged;
        }

        // Until the periodic loop below takes over (this service starts after the store has opened), a timer keeps the
        // file fresh through a long start-up: `edgestore status` never calls a migrating daemon stale.
        _startupTimer = _timeProvider.CreateTimer(static state => ((StatusFileWriter)state!).WriteNow(), this, _interval, _interval);
        WriteNow();
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        var hosted = _services.GetService<IHostApplicationLifetime>() is not null;

        // Registered after ingestion, this service stops first, while ingestion still commits and acknowledges: say
        // "stopping" (the ApplicationStopped write says "stopped"). Without a host lifetime (a bare service in a test)
        // this is the last chance to say "stopped".
        WriteNow(hosted ? "stopping" : "stopped");
    }

    public override void Dispose()
    {
        if (_phaseSource is not null)
        {
            _phaseSource.PhaseChanged -= OnPhaseChanged;
        }

        _startupTimer?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _startupTimer?.Dispose();
        using var timer = new PeriodicTimer(_interval, _timeProvider);
        do
        {
            WriteNow();
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void OnPhaseChanged() => WriteNow();

    private void WriteDocument(Utf8JsonWriter json, string? phaseOverride)
    {
        var sources = _sources ??= StatusSources.From(_services);
        var status = sources.Daemon;
        json.WriteStartObject();
        json.WriteNumber("pid", _processId);
        json.WriteString("version", Program.Version);
        json.WriteString("startedAt", _startedAt);
        json.WriteString("updatedAt", _timeProvider.GetUtcNow());
        json.WriteString("phase", phaseOverride ?? status?.Phase ?? "unknown");

        // What keeps a running daemon from its job; `edgestore status` says "degraded" and exits 5 while any is listed.
        json.WriteStartArray("problems");
        foreach (var problem in phaseOverride is null ? _health.Problems(sources, _services.GetService<IngestHeartbeat>()) : [])
        {
            json.WriteStringValue(problem);
        }

        json.WriteEndArray();
        WriteMigration(json, status?.Migration);
        WriteNullable(json, "brokerConnected", status?.BrokerConnected);
        WriteNullable(json, "backlog", status?.Backlog);
        WriteNullable(json, "rowsStored", status?.RowsStored);
        WriteNullable(json, "acknowledged", status?.Acknowledged);
        WriteNullable(json, "quarantined", status?.Quarantined);
        WriteNullable(json, "oversizeQuarantined", status?.OversizeQuarantined);
        WriteNullable(json, "redeliveries", status?.Redeliveries);
        WriteNullable(json, "subscriptionsRefused", status?.SubscriptionsRefused);
        json.WriteStartArray("refusedSubscriptions");
        foreach (var filter in status?.RefusedSubscriptions ?? [])
        {
            json.WriteStringValue(filter);
        }

        json.WriteEndArray();
        WriteNullable(json, "brokerLossWarnings", status?.BrokerLossWarnings);

        if (sources.Uplink is { } uplink)
        {
            json.WritePropertyName("uplink");
            uplink.ToJson(_timeProvider.GetUtcNow()).WriteTo(json);
        }
        else
        {
            json.WriteNull("uplink");
        }

        json.WriteStartObject("memory");
        var counters = sources.Governor?.Counters;
        WriteNullable(json, "mmapLimitBytes", status?.MmapLimitBytes ?? counters?.MmapLimitBytes);
        WriteNullable(json, "mmapCapBytes", sources.Cap?.CapBytes);
        WriteNullable(json, "mmapCeilingBytes", sources.Governor?.CeilingBytes);
        WriteNullable(json, "effectiveMemoryBytes", sources.Cap?.EffectiveMemory.EffectiveBytes);
        if (sources.Monitor is { } monitor)
        {
            json.WriteString("pressureLevel", monitor.Level.ToString());
            json.WriteNumber("levelChanges", monitor.LevelChanges);
        }
        else
        {
            json.WriteNull("pressureLevel");
            json.WriteNull("levelChanges");
        }

        WriteNullable(json, "limitChanges", counters?.LimitChanges);
        WriteNullable(json, "connectionsRecycled", counters?.ConnectionsRecycled);
        WriteNullable(json, "bytesReleased", counters?.BytesReleased);
        WriteNullable(json, "applyFailures", counters?.ApplyFailures);
        WriteNullable(json, "cacheSizeBytes", counters?.CacheSizeBytes);

        // The .NET heap of this process: what the garbage collector holds now, and how much was allocated since start
        // (with rowsStored, bytes allocated per message: what the hot path costs the collector).
        var heap = GC.GetGCMemoryInfo();
        json.WriteNumber("managedHeapBytes", heap.HeapSizeBytes);
        json.WriteNumber("managedCommittedBytes", heap.TotalCommittedBytes);
        json.WriteNumber("managedAllocatedBytes", GC.GetTotalAllocatedBytes(precise: false));
        json.WriteStartArray("gcCollections");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
        {
            json.WriteNumberValue(GC.CollectionCount(generation));
        }

        json.WriteEndArray();

        json.WriteNumber("gcGen0MaxBudgetBytes", Gen0MaxBudgetBytes);
        json.WriteEndObject();

        json.WriteStartObject("safeMode");
        var safeMode = sources.SafeMode is { } storageSafeMode ? storageSafeMode.IsActive : status?.SafeMode ?? false;
        json.WriteBoolean("active", safeMode);
        if (safeMode && sources.SafeMode is { } active)
        {
            var period = sources.MaintenanceOptions?.SafeModePeriod;
            json.WriteString("reason", $"{active.RecentUncleanExits} unclean exits{(period is { } p ? $" within {p}" : string.Empty)}: mmap off until `edgestore safe-mode clear` or a calm period");
        }
        else
        {
            json.WriteNull("reason");
        }

        json.WriteEndObject();

        json.WriteStartObject("maintenance");
        if (sources.Scheduler?.LastResult is { } last)
        {
            json.WriteStartObject("lastResult");
            json.WriteString("trigger", last.Trigger);
            json.WriteString("startedAt", last.StartedAt);
            json.WriteString("finishedAt", last.FinishedAt);
            json.WriteBoolean("completed", last.Completed);
            json.WriteString("summary", last.Summary);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("lastResult");
        }

        json.WriteStartArray("alarms");
        if (sources.Alarms is { } alarms)
        {
            if (alarms.WalOverLimit)
            {
                json.WriteStringValue($"WAL over its limit ({alarms.WalBytes} bytes; checkpoint lag {alarms.CheckpointLagFrames} frames)");
            }

            if (alarms.DiskLow)
            {
                json.WriteStringValue("disk low: acknowledgements stopped");
            }
        }

        if (sources.DiskGuard is { AcksAllowed: false } && sources.Alarms is not { DiskLow: true })
        {
            json.WriteStringValue("disk guard: acknowledgements stopped");
        }

        json.WriteEndArray();
        WriteNullable(json, "walBytes", sources.Alarms?.WalBytes);
        WriteNullable(json, "checkpointLagFrames", sources.Alarms?.CheckpointLagFrames);
        WriteNullable(json, "diskLowEvents", sources.Alarms?.DiskLowEvents);
        WriteNullable(json, "walOverLimitEvents", sources.Alarms?.WalOverLimitEvents);
        WriteNullable(json, "storageFullEvents", sources.Alarms?.StorageFullEvents);
        WriteNullable(json, "acksAllowed", sources.DiskGuard?.AcksAllowed);
        WriteNullable(json, "diskAvailableBytes", sources.DiskGuard?.LastMeasured?.AvailableBytes);
        json.WriteEndObject();

        // File stats only: opening the database here would add a connection (and a mapping) to the daemon.
        json.WriteStartObject("database");
        json.WriteString("path", _databasePath);
        WriteNullable(json, "sizeBytes", FileSize(_databasePath));
        WriteNullable(json, "walSizeBytes", FileSize(_databasePath + "-wal"));
        json.WriteEndObject();

        json.WriteEndObject();
    }

    private void WriteMigration(Utf8JsonWriter json, MigrationStatus? migration)
    {
        if (migration is null)
        {
            json.WriteNull("migration");
            return;
        }

        json.WriteStartObject("migration");
        json.WriteNumber("fromVersion", migration.FromVersion);
        json.WriteNumber("toVersion", migration.ToVersion);
        json.WriteString("step", migration.Step);
        json.WriteNumber("rows", migration.Rows);
        json.WriteNumber("elapsedSeconds", Math.Round(Math.Max(0, (_timeProvider.GetUtcNow() - migration.StepStartedAt).TotalSeconds), 1));
        json.WriteEndObject();
    }

    private static long? FileSize(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? info.Length : null;
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, bool? value)
    {
        if (value is { } flag)
        {
            json.WriteBoolean(name, flag);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Cannot write the status file {StatusPath} ({Reason}); `edgestore status` will report it stale")]
    private static partial void LogWriteFailed(ILogger logger, string statusPath, string reason);
}
