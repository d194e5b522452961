using EdgeStore.Configuration;
using EdgeStore.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Maintenance;

/// <summary>Registers maintenance, the WAL guard, the disk guard and storage-safe mode.</summary>
internal static class MaintenanceServiceCollectionExtensions
{
    /// <summary>
    /// Maintenance for settings loaded and validated by <see cref="SettingsLoader"/> (database path resolved, mmap
    /// capped). Storage-safe mode is decided, and the run marker written, when <see cref="StorageSafeMode"/> is first
    /// resolved, before the database opens. The start-up service then calls <see cref="MaintenanceAttachment.Attach(EdgeStore.Storage.TelemetryDatabase, EdgeStore.Storage.BatchWriter)"/>.
    /// </summary>
    public static IServiceCollection AddMaintenance(this IServiceCollection services, EdgeStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var databasePath = settings.Storage.Path ?? throw new InvalidOperationException("Storage:Path has no value; the settings were not loaded through SettingsLoader.");
        return services.AddMaintenance(MaintenanceOptions.From(settings), databasePath, (settings.Storage.MmapSizeMiB ?? 0) * 1024L * 1024);
    }

    /// <summary>
    /// The same, from options already built (<see cref="MaintenanceOptions.From"/>), the resolved database path
    /// and the capped mmap limit a window hands back by default (<see cref="MmapRestoreLimit.Fixed"/>; register
    /// <see cref="MmapRestoreLimit.FromGovernor"/> first to hand back what the memory governor wants instead).
    /// </summary>
    public static IServiceCollection AddMaintenance(this IServiceCollection services, MaintenanceOptions options, string databasePath, long mmapCapBytes)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton<MaintenanceAlarms>();
        services.TryAddSingleton<IDiskSpaceProbe, StatvfsDiskSpaceProbe>();
        services.AddSingleton(sp => StorageSafeMode.Start(
            StorageSettings.StateDirectoryOf(databasePath), options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<StorageSafeMode>()));
        services.TryAddSingleton<MmapRestoreLimit>(sp => MmapRestoreLimit.Fixed(mmapCapBytes, sp.GetRequiredService<StorageSafeMode>()));
        services.AddSingleton(sp => new MaintenanceAttachment(
            sp.GetRequiredService<MmapRestoreLimit>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), sp.GetService<DaemonStatus>()));
        services.AddSingleton(sp => new DiskGuard(
            databasePath, options, sp.GetRequiredService<IDiskSpaceProbe>(), sp.GetRequiredService<MaintenanceAlarms>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<DiskGuard>>(), sp.GetRequiredService<MaintenanceAttachment>()));
        services.AddSingleton(sp => new MaintenanceScheduler(
            sp.GetRequiredService<MaintenanceAttachment>(), options, sp.GetRequiredService<IDiskSpaceProbe>(), sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<StorageSafeMode>(), sp.GetService<DaemonStatus>()));
        services.AddSingleton(sp => new WalGuard(
            sp.GetRequiredService<MaintenanceAttachment>(), options, sp.GetRequiredService<MaintenanceAlarms>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WalGuard>>()));

        services.AddHostedService(sp => new RunMarkerService(
            sp.GetRequiredService<StorageSafeMode>(), sp.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>(), sp.GetService<DaemonStatus>()));
        services.AddHostedService(sp => sp.GetRequiredService<DiskGuard>());
        services.AddHostedService(sp => sp.GetRequiredService<WalGuard>());
        services.AddHostedService(sp => sp.GetRequiredService<MaintenanceScheduler>());
        return services;
    }
}
