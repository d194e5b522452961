using EdgeStore.Configuration;
using EdgeStore.Safety;
using EdgeStore.Status;
using EdgeStore.Uplink;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Maintenance;

/// <summary>Registers the window work: the maintenance attachment, the limit a window hands back and the scheduler.</summary>
internal static class MaintenanceServiceCollectionExtensions
{
    /// <summary>
    /// Maintenance for settings loaded and validated by <see cref="SettingsLoader"/> (database path resolved, mmap
    /// capped), beside <see cref="SafetyNetServiceCollectionExtensions.AddSafetyNets"/>, which registers the
    /// <see cref="StorageSafeMode"/> and disk-space probe the scheduler uses. A window hands back the configured cap
    /// (<see cref="MmapRestoreLimit.Fixed"/>) unless <see cref="MmapRestoreLimit.FromGovernor"/> was registered first.
    /// The start-up service calls <see cref="MaintenanceAttachment.Attach(EdgeStore.Storage.TelemetryDatabase, EdgeStore.Storage.BatchWriter)"/>.
    /// </summary>
    public static IServiceCollection AddMaintenance(this IServiceCollection services, EdgeStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var mmapCapBytes = (settings.Storage.MmapSizeMiB ?? 0) * 1024L * 1024;

        // One options instance for the safety nets and the window work, whichever registers first.
        services.TryAddSingleton(MaintenanceOptions.From(settings));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => MmapRestoreLimit.Fixed(mmapCapBytes, sp.GetRequiredService<StorageSafeMode>()));
        services.AddSingleton(sp => new MaintenanceAttachment(
            sp.GetRequiredService<MmapRestoreLimit>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetService<DaemonStatus>(),
            sp.GetService<UplinkState>()));
        services.AddSingleton(sp => new MaintenanceScheduler(
            sp.GetRequiredService<MaintenanceAttachment>(), sp.GetRequiredService<MaintenanceOptions>(), sp.GetRequiredService<IDiskSpaceProbe>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<StorageSafeMode>(), sp.GetService<DaemonStatus>()));

        services.AddHostedService(sp => sp.GetRequiredService<MaintenanceScheduler>());
        return services;
    }
}
