using EdgeStore.Configuration;
using EdgeStore.Health;
using EdgeStore.Ingest;
using EdgeStore.Memory;
using EdgeStore.Status;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// One call wires remote tuning, state and metrics: `builder.Services.AddRemoteTuning(configuration)` after the
/// settings, DaemonStatus and IngestService are registered. It needs the <see cref="EdgeStoreSettings"/> singleton
/// (the loaded file + environment); <paramref name="configuration"/> may add or override the `RemoteTuning` and
/// `Metrics` sections (an empty configuration changes nothing).
/// </summary>
internal static class RemoteTuningServiceCollectionExtensions
{
    public static IServiceCollection AddRemoteTuning(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DaemonStatus>();

        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<EdgeStoreSettings>();
            return new LogLevelSwitch(Enum.Parse<LogLevel>(settings.Logging.Level, ignoreCase: true));
        });
        services.AddSingleton<IConfigureOptions<LoggerFilterOptions>>(sp => sp.GetRequiredService<LogLevelSwitch>());
        services.AddSingleton<IOptionsChangeTokenSource<LoggerFilterOptions>>(sp => sp.GetRequiredService<LogLevelSwitch>());

        services.TryAddSingleton(sp => TuningStateFile.ForDatabase(sp.GetRequiredService<EdgeStoreSettings>().Storage.Path
            ?? throw new InvalidOperationException("Storage:Path has no value; the settings were not loaded through SettingsLoader.")));
        services.TryAddSingleton(sp => new IngestTuningTarget(sp.GetRequiredService<IngestService>(), sp.GetRequiredService<DaemonStatus>())
        {
            // With memory governance wired, the governor owns every connection's limits: tuning moves its ceiling and
            // normal cache size, and pressure can still hold them lower.
            MemoryLimitsOverride = sp.GetService<MmapGovernor>() is { } governor && sp.GetService<MemoryFiles>() is { } files
                ? (connections, mmapBytes, cacheBytes, ct) => new ValueTask(governor.AttachStorageAsync(new SqliteMemoryLimitTarget(connections, files), mmapBytes, cacheBytes, ct))
                : null,
        });
        services.TryAddSingleton<LoggingTuningTarget>();
        services.AddSingleton<ILiveTuningTarget>(sp => sp.GetRequiredService<IngestTuningTarget>());
        services.AddSingleton<ILiveTuningTarget>(sp => sp.GetRequiredService<LoggingTuningTarget>());
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<EdgeStoreSettings>();
            configuration.GetSection(nameof(EdgeStoreSettings.RemoteTuning)).Bind(settings.RemoteTuning);
            configuration.GetSection(nameof(EdgeStoreSettings.Metrics)).Bind(settings.Metrics);

            // The baseline is taken here, before RemoteTuningStartup writes the tuned values into the same settings.
            // The memory capability's cap counts the cgroup limit as well as MemTotal; without it, MemTotal alone.
            var capBytes = sp.GetService<MmapCap>()?.CapBytes ?? SettingsLoader.MmapCapMiB(MachineFacts.Current()) * 1024L * 1024;
            return new RemoteTuner(
                TunedValues.FromSettings(settings),
                sp.GetRequiredService<TuningStateFile>(),
                sp.GetServices<ILiveTuningTarget>(),
                () => capBytes,
                settings.RemoteTuning,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<RemoteTuner>>());
        });
        services.TryAddSingleton<ControlConnection>();
        services.AddSingleton<IStatusContributor>(sp => new MemoryStatusContributor(sp.GetService<MemoryPressureMonitor>()));

        // First of all hosted services, wherever this call sits: the persisted tuning must be in the settings before
        // ingestion (or anything else) reads them.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, RemoteTuningStartup>());
        services.AddHostedService<RemoteTuningService>();
        services.AddHostedService<MetricsPublisher>();
        return services;
    }
}
