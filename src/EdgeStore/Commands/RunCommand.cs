using System.CommandLine;
using EdgeStore.Configuration;
using EdgeStore.Ingest;
using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.RemoteTuning;
using EdgeStore.Safety;
using EdgeStore.Status;
using EdgeStore.Storage;
using EdgeStore.Store;
using EdgeStore.Systemd;
using EdgeStore.Uplink;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace EdgeStore.Commands;

/// <summary>`edgestore run [--config FILE]`: the daemon.</summary>
internal static class RunCommand
{
    /// <summary>Long enough for the writer to commit a full queue and the acks to be flushed before DISCONNECT.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var config = new Option<string?>("--config")
        {
            Description = $"Configuration file (default {SettingsLoader.DefaultConfigFile}; a missing default file means defaults). EDGESTORE__SECTION__KEY variables override it.",
            HelpName = "FILE",
        };
        var command = new Command("run", "Run the daemon: subscribe to the configured topics and store every message.") { config };
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(SettingsLoader.ForCurrentProcess(), parseResult.GetValue(config), Console.Error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(SettingsLoader loader, string? configFile, TextWriter error, CancellationToken cancellationToken)
    {
        var loaded = loader.Load(configFile);
        if (!loaded.IsValid)
        {
            return ConfigurationErrors.Report(loaded.Errors, error);
        }

        // One daemon per database, decided before anything touches it: a second instance neither opens the database
        // nor writes the run marker, so it is not counted as an unclean exit of the first. Taken here, before the host is
        // built, and not in StoreStartup: StorageSafeMode writes the run marker when the host resolves its hosted
        // services, which is before any of them starts.
        var databasePath = loaded.Settings!.Storage.Path!;
        DatabaseLock? databaseLock;
        int? holder;
        try
        {
            databaseLock = DatabaseLock.TryAcquire(databasePath, out holder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"edgestore run: {PlainError.For(e, databasePath) ?? $"cannot lock the database {databasePath}: {e.Message}"}");
            return ExitCodes.Failure;
        }

        if (databaseLock is null)
        {
            var who = holder is { } pid ? $"another EdgeStore (PID {pid})" : "another EdgeStore";
            await error.WriteLineAsync($"edgestore: the database {databasePath} is in use by {who}; one daemon per database. Stop that one first, or give this one its own Storage:Path.");
            return ExitCodes.DatabaseInUse;
        }

        using (databaseLock)
        {
            if (CheckDatabaseFiles(databasePath) is { } problem)
            {
                await error.WriteLineAsync($"edgestore run: {problem}");
                return ExitCodes.Failure;
            }

            return await RunLockedAsync(loaded, error, cancellationToken);
        }
    }

    /// <summary>
    /// The database and its -wal and -shm files, when they exist, must open for reading and writing as this user: found
    /// here, a wrong owner is one plain line instead of SQLite's "unable to open database file" deep in start-up.
    /// </summary>
    private static string? CheckDatabaseFiles(string databasePath)
    {
        foreach (var path in new[] { databasePath, databasePath + "-wal", databasePath + "-shm" })
        {
            if (Directory.Exists(path))
            {
                return $"{path} is a directory, not a database file; point Storage:Path at a file inside it";
            }

            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return PlainError.For(e, path) ?? $"cannot open {path}: {e.Message}";
            }
        }

        return null;
    }

    private static async Task<int> RunLockedAsync(SettingsLoadResult loaded, TextWriter error, CancellationToken cancellationToken)
    {
        var builder = CreateHostBuilder(loaded.Settings!, loaded.Configuration, loaded.Machine?.Memory);
        IHost host;
        try
        {
            host = builder.Build();
        }
        catch (Exception e) when (e is InvalidOperationException or AggregateException)
        {
            await error.WriteLineAsync($"edgestore run: cannot start: {e.Message}");
            return ExitCodes.Failure;
        }

        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeStore.Run");
        var ingest = host.Services.GetRequiredService<IngestService>();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var hostedServices = host.Services.GetServices<IHostedService>().ToList();
        logger.LogInformation("EdgeStore {Version} starting with {ConfigFile}", Program.Version, loaded.ConfigFile ?? "defaults (no configuration file)");
        foreach (var notice in loaded.Notices)
        {
            logger.LogWarning("{Notice}", notice);
        }

        try
        {
            // RunAsync returns once every hosted service has stopped (SIGTERM/SIGINT through the console lifetime, or
            // StopApplication after a fatal error), and disposes the host.
            await host.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested || cancellationToken.IsCancellationRequested)
        {
            // SIGTERM (or SIGINT) arrived while starting, for example during a long migration, whose step rolled back
            // (the storage layer said so): a requested stop, not a failure.
            logger.LogInformation("EdgeStore stopped before it finished starting, as requested; the database is as the last completed step left it");
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // An operator's problem (OperatorProblemException from StoreStartup, or a file problem) is one line; anything
            // else is a defect, and its stack goes to the log (the host's own "Hosting failed to start" line is filtered
            // out in ConfigureLogging). The operator's terminal gets the reason in one line either way.
            var plain = e is OperatorProblemException ? e.Message : PlainError.For(e, loaded.Settings!.Storage.Path!);
            if (plain is not null)
            {
                logger.LogCritical("EdgeStore could not run: {Reason}", plain);
            }
            else
            {
                logger.LogCritical(e, "EdgeStore could not run: {Reason}", e.Message);
            }

            await error.WriteLineAsync($"edgestore run: {plain ?? e.Message}");
            return ExitCodes.Failure;
        }

        // A background loop that died stopped the host (BackgroundServiceExceptionBehavior.StopHost) through the same
        // orderly stop as SIGTERM: exit 1 all the same, so systemd's Restart=on-failure brings the daemon back.
        if (FailedBackgroundService(hostedServices) is { } failed)
        {
            logger.LogCritical(failed.Error, "EdgeStore stopped because {Service} failed: {Reason}", failed.Name, failed.Error.Message);
            await error.WriteLineAsync($"edgestore run: stopped because {failed.Name} failed: {failed.Error.Message}");
            return ExitCodes.Failure;
        }

        return ingest.Fault is null ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>The first background service whose loop ended with an exception, or null.</summary>
    internal static (string Name, Exception Error)? FailedBackgroundService(IEnumerable<IHostedService> services)
    {
        foreach (var service in services)
        {
            if (service is BackgroundService { ExecuteTask: { IsFaulted: true, Exception: { } error } })
            {
                return (service.GetType().Name, error.InnerExceptions.Count == 1 ? error.InnerException! : error);
            }
        }

        return null;
    }

    /// <summary>
    /// The daemon's host: settings, health, ingestion. <paramref name="configuration"/> (the validated file + environment
    /// tree) becomes the builder's configuration, so a component that binds its own section from
    /// <c>builder.Configuration</c> sees exactly what <paramref name="settings"/> was bound from.
    /// <paramref name="effectiveMemory"/> is the memory the settings loader capped mmap with; the memory capability
    /// uses it too, so the daemon's cap is the one `edgestore config show` prints.
    /// </summary>
    public static HostApplicationBuilder CreateHostBuilder(EdgeStoreSettings settings, IConfiguration? configuration = null, EffectiveMemory? effectiveMemory = null)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "edgestore",
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (configuration is not null)
        {
            builder.Configuration.AddConfiguration(configuration);
        }

        ConfigureLogging(builder.Logging, settings.Logging);

        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = ShutdownTimeout);
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DaemonStatus>();
        builder.Services.AddSingleton<IngestHeartbeat>();
        if (effectiveMemory is not null)
        {
            builder.Services.AddSingleton(effectiveMemory);
        }

        AddDaemonServices(builder, settings);
        return builder;
    }

    /// <summary>
    /// The daemon's hosted services, in the order the host starts them; it stops them in the reverse order. This is the
    /// one place that order is decided: each capability's Add… method appends its own hosted services (none inserts
    /// itself elsewhere), so the order of the calls below is the start order.
    /// </summary>
    private static void AddDaemonServices(HostApplicationBuilder builder, EdgeStoreSettings settings)
    {
        var services = builder.Services;
        services.AddSingleton<TelemetryStore>();
        services.AddSingleton<StoreStartup>();
        services.AddSingleton<IngestService>();

        // 1. The persisted remote tuning goes into the settings before anything reads them (mmap, durability, batches).
        services.AddHostedService<RemoteTuningStartup>();

        // 2. The store: storage-safe mode applied, database opened and migrated, memory governor and maintenance
        //    attached, writer created. Every StartAsync runs before ApplicationStarted, on which SystemdLifetime sends
        //    READY=1, so READY=1 means "database open and migrated" (C6).
        services.AddHostedService(sp => sp.GetRequiredService<StoreStartup>());

        // 3. Ingestion: MQTT client → decoder → bounded channel → the store's writer → acks. It starts once the store is
        //    open, and stops after everything registered below, so maintenance and the guards are quiet while it drains.
        services.AddHostedService(sp => sp.GetRequiredService<IngestService>());

        // 3b. The uplink: forwards committed rows upstream. After ingestion, so it stops first and commits its cursor on
        //     the writer before ingestion drains and closes it.
        services.AddUplink(settings);

        // 4. The memory pressure monitor and the governor's loop (when Memory:Enabled).
        services.AddMemoryGovernance(settings.Memory);

        // 5. Remote tuning's control connection and the metrics publisher. While registering, the persisted tuning is
        //    also written into the settings, so AddSafetyNets and AddMaintenance below read the tuned windows and retention.
        services.AddRemoteTuning(builder.Configuration);

        // The window hands back what the memory governor wants (0 in storage-safe mode); replaces AddMaintenance's default.
        services.AddSingleton(sp => MmapRestoreLimit.FromGovernor(sp.GetRequiredService<MmapGovernor>(), sp.GetRequiredService<StorageSafeMode>()));

        // 6. The safety nets (run marker, disk guard, WAL guard), then the window scheduler: after ingestion, so they
        //    stop before it drains. Storage-safe mode (and the run marker) is decided when StorageSafeMode is first
        //    resolved, which is when the host resolves the hosted services, before any of them starts: under the
        //    database lock RunAsync holds.
        services.AddSafetyNets(settings);
        services.AddMaintenance(settings);

        // 7. The status file, then systemd's STATUS=, watchdog and timeout extension.
        services.AddStatusFile(settings.Storage.Path!);
        builder.AddSystemdIntegration();
    }

    /// <summary>The one place log output is set up: console lines with UTC timestamps, at the configured level.</summary>
    public static void ConfigureLogging(ILoggingBuilder logging, LoggingSettings settings)
    {
        var level = Enum.Parse<LogLevel>(settings.Level, ignoreCase: true);
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft", LogLevel.Warning);

        // The host's own "Hosting failed to start" (Error, with a stack) is left out: RunAsync reports why a start failed
        // in one line, and a stop requested during start-up (SIGTERM in a migration) is no failure at all. Its Critical
        // line for a background service that failed and stopped the host stays.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.IncludeScopes = false;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            options.ColorBehavior = LoggerColorBehavior.Default;
        });
    }
}
