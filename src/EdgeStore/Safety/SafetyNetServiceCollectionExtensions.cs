using EdgeStore.Configuration;
using EdgeStore.Status;
using EdgeStore.Maintenance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Safety;

/// <summary>Registers the safety nets: storage-safe mode and its run marker, the disk guard and the WAL guard.</summary>
internal static class SafetyNetServiceCollectionExtensions
{
    /// <summary>
    /// The safety nets for settings loaded and validated by <see cref="SettingsLoader"/> (database path resolved).
    /// Storage-safe mode is decided, and the run marker written, when <see cref="StorageSafeMode"/> is first resolved,
    /// before the database opens. The disk guard and the WAL guard act through the <see cref="MaintenanceAttachment"/>
    /// that <see cref="MaintenanceServiceCollectionExtensions.AddMaintenance"/> registers; a host calls both.
    /// </summary>
    public static IServiceCollection AddSafetyNets(this IServiceCollection services, EdgeStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var databasePath = settings.Storage.Path ?? throw new InvalidOperationException("Storage:Path has no value; the settings were not loaded through SettingsLoader.");

        // One options instance for the safety nets and the window work, whichever registers first.
        services.TryAddSingleton(MaintenanceOptions.From(settings));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MaintenanceAlarms>();
        services.TryAddSingleton<IDiskSpaceProbe, StatvfsDiskSpaceProbe>();
        services.AddSingleton(sp => StorageSafeMode.Start(
            StorageSettings.StateDirectoryOf(databasePath), sp.GetRequiredService<MaintenanceOptions>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<StorageSafeMode>()));
        services.AddSingleton(sp => new DiskGuard(
            databasePath, sp.GetRequiredService<MaintenanceOptions>(), sp.GetRequiredService<IDiskSpaceProbe>(), sp.GetRequiredService<MaintenanceAlarms>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DiskGuard>>(), sp.GetRequiredService<MaintenanceAttachment>()));
        services.AddSingleton(sp => new WalGuard(
            sp.GetRequiredService<MaintenanceAttachment>(), sp.GetRequiredService<MaintenanceOptions>(), sp.GetRequiredService<MaintenanceAlarms>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WalGuard>>()));

        services.AddHostedService(sp => new RunMarkerService(
            sp.GetRequiredService<StorageSafeMode>(), sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetService<DaemonStatus>()));
        services.AddHostedService(sp => sp.GetRequiredService<DiskGuard>());
        services.AddHostedService(sp => sp.GetRequiredService<WalGuard>());
        return services;
    }
}
