using System.CommandLine;
using EdgeStore.Configuration;
using EdgeStore.Health;
using EdgeStore.Ingest;
using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.RemoteTuning;
using EdgeStore.Status;
using EdgeStore.Storage;
using EdgeStore.Systemd;
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
        // nor writes the run marker, so it is not counted as an unclean exit of the first.
        var databasePath = loaded.Settings!.Storage.Path!;
        DatabaseLock? databaseLock;
        int? holder;
        try
        {
            databaseLock = DatabaseLock.TryAcquire(databasePath, out holder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"edgestore: cannot lock the database {databasePath}: {e.Message}");
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
            return await RunLockedAsync(loaded, error, cancellationToken);
        }
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
            await error.WriteLineAsync($"edgestore: cannot start: {e.Message}");
            return ExitCodes.Failure;
        }

        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeStore.Run");
        var ingest = host.Services.GetRequiredService<IngestService>();
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
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The host has logged the exception with its stack; the operator gets the reason in one line.
            logger.LogCritical("EdgeStore could not run: {Reason}", e.Message);
            await error.WriteLineAsync($"edgestore: cannot run: {e.Message}");
            return ExitCodes.Failure;
        }

        return ingest.Fault is null ? ExitCodes.Ok : ExitCodes.Failure;
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
        builder.Services.AddSingleton<IngestService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<IngestService>());
        if (effectiveMemory is not null)
        {
            builder.Services.AddSingleton(effectiveMemory);
        }

        builder.Services.AddMemoryGovernance(settings.Memory);

        // Before maintenance: the persisted remote tuning (windows, retention, mmap) is written into the settings here,
        // and AddMaintenance(settings) below must read the tuned values.
        builder.Services.AddRemoteTuning(builder.Configuration);

        // The window hands back what the memory governor wants (0 in storage-safe mode).
        builder.Services.AddSingleton<IMmapLimitSource>(services => new GovernorMmapLimitSource(services.GetRequiredService<MmapGovernor>(), services.GetRequiredService<StorageSafeMode>()));

        // After ingestion, so maintenance stops first on shutdown; safe mode is decided when IngestService resolves it.
        builder.Services.AddMaintenance(settings);

        builder.Services.AddStatusFile(settings.Storage.Path!);
        builder.AddSystemdIntegration();
        return builder;
    }

    /// <summary>The one place log output is set up: console lines with UTC timestamps, at the configured level.</summary>
    public static void ConfigureLogging(ILoggingBuilder logging, LoggingSettings settings)
    {
        var level = Enum.Parse<LogLevel>(settings.Level, ignoreCase: true);
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        logging.AddFilter("Microsoft", LogLevel.Warning);
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
