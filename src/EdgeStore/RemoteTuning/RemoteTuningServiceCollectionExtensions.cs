using EdgeStore.Configuration;
using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.Status;
using EdgeStore.Store;
using EdgeStore.Uplink;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// One call wires remote tuning, state and metrics: `builder.Services.AddRemoteTuning(configuration)` after the
/// settings and DaemonStatus are registered. <see cref="RemoteTuningStartup"/>, which must start before every other
/// hosted service, is not registered here: the daemon's one ordered list of hosted services
/// (RunCommand.AddDaemonServices) registers it first. It needs the <see cref="EdgeStoreSettings"/> singleton
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

        // When the settings instance is already registered, the persisted tuning is written into it now, so even a
        // capability that reads its settings while it is being registered (after this call) starts with the tuned
        // values. RemoteTuningStartup does it again at start, with logging and the cgroup-aware cap.
        var registered = services.LastOrDefault(d => d.ServiceType == typeof(EdgeStoreSettings))?.ImplementationInstance as EdgeStoreSettings;
        var baseline = registered is null ? null : TunedValues.FromSettings(registered);
        if (registered is not null)
        {
            RemoteTuningStartup.ApplyPersistedEarly(registered, baseline!, MmapCapOf(services, registered));
        }

        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<EdgeStoreSettings>();
            return new LogLevelSwitch(Enum.Parse<LogLevel>(settings.Logging.Level, ignoreCase: true));
        });
        services.AddSingleton<IConfigureOptions<LoggerFilterOptions>>(sp => sp.GetRequiredService<LogLevelSwitch>());
        services.AddSingleton<IOptionsChangeTokenSource<LoggerFilterOptions>>(sp => sp.GetRequiredService<LogLevelSwitch>());

        services.TryAddSingleton(sp => TuningStateFile.ForDatabase(sp.GetRequiredService<EdgeStoreSettings>().Storage.Path
            ?? throw new InvalidOperationException("Storage:Path has no value; the settings were not loaded through SettingsLoader.")));
        services.TryAddSingleton(sp => new IngestTuningTarget(sp.GetRequiredService<TelemetryStore>(), sp.GetRequiredService<DaemonStatus>())
        {
            // With memory governance wired, the governor owns every connection's limits: tuning moves its ceiling and
            // normal cache size, and pressure can still hold them lower.
            // The governor keeps its attached target (maintenance-aware: mmap stays 0 inside a window).
            MemoryLimitsOverride = sp.GetService<MmapGovernor>() is { } governor
                ? async (_, mmapBytes, cacheBytes, ct) =>
                {
                    governor.RequestCeiling(mmapBytes, "remote tuning");
                    governor.RequestNormalCacheSize(cacheBytes);
                    await governor.ReconcileAsync(ct);
                }
                : null,
        });
        services.TryAddSingleton<LoggingTuningTarget>();
        services.AddSingleton<ILiveTuningTarget>(sp => sp.GetRequiredService<IngestTuningTarget>());
        services.AddSingleton<ILiveTuningTarget>(sp => sp.GetRequiredService<LoggingTuningTarget>());
        services.AddSingleton<ILiveTuningTarget>(sp => new MaintenanceTuningTarget(sp.GetService<MaintenanceScheduler>()));
        services.AddSingleton<ILiveTuningTarget>(sp => new UplinkTuningTarget(sp.GetService<UplinkState>()));
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<EdgeStoreSettings>();
            configuration.GetSection(nameof(EdgeStoreSettings.RemoteTuning)).Bind(settings.RemoteTuning);
            configuration.GetSection(nameof(EdgeStoreSettings.Metrics)).Bind(settings.Metrics);

            // The baseline is the local configuration alone: taken before any tuned value was written into the settings.
            // The memory capability's cap when it is wired; else the same computation over the same effective memory.
            var capBytes = sp.GetService<MmapCap>()?.CapBytes ?? MmapCapOf(services, settings);
            return new RemoteTuner(
                baseline ?? TunedValues.FromSettings(settings),
                sp.GetRequiredService<TuningStateFile>(),
                sp.GetServices<ILiveTuningTarget>(),
                () => capBytes,
                settings.RemoteTuning,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<RemoteTuner>>());
        });
        services.TryAddSingleton<ControlConnection>();

        services.AddHostedService(sp => new RemoteTuningService(
            sp.GetRequiredService<ControlConnection>(),
            sp.GetRequiredService<RemoteTuner>(),
            sp.GetRequiredService<EdgeStoreSettings>(),
            sp.GetRequiredService<DaemonStatus>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RemoteTuningService>>(),
            sp.GetService<MaintenanceScheduler>()));
        services.AddHostedService<MetricsPublisher>();
        return services;
    }

    /// <summary>The cap over the effective memory the host registered (the settings loader's), else this machine's.</summary>
    private static long MmapCapOf(IServiceCollection services, EdgeStoreSettings settings) =>
        services.LastOrDefault(d => d.ServiceType == typeof(EffectiveMemory))?.ImplementationInstance is EffectiveMemory memory
            ? MmapCap.Compute(memory.EffectiveBytes)
            : MachineFacts.Read(Path.IsPathRooted(settings.Memory.FilesRoot) ? settings.Memory.FilesRoot : "/").MmapCapBytes;
}
