using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.Safety;
using EdgeStore.Uplink;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStore.Status;

/// <summary>
/// The services the status file reads, each optional: a host without maintenance or memory governance still gets a
/// status file with those fields null. Resolved once, at the first write, which is in the host's StartingAsync, before
/// any service has started: each field shows what its service reports so far.
/// </summary>
internal sealed record StatusSources(
    DaemonStatus? Daemon,
    MmapGovernor? Governor,
    MmapCap? Cap,
    MemoryPressureMonitor? Monitor,
    StorageSafeMode? SafeMode,
    MaintenanceOptions? MaintenanceOptions,
    MaintenanceScheduler? Scheduler,
    MaintenanceAlarms? Alarms,
    DiskGuard? DiskGuard,
    UplinkState? Uplink)
{
    public static StatusSources From(IServiceProvider services) => new(
        services.GetService<DaemonStatus>(),
        services.GetService<MmapGovernor>(),
        services.GetService<MmapCap>(),
        services.GetService<MemoryPressureMonitor>(),
        services.GetService<StorageSafeMode>(),
        services.GetService<MaintenanceOptions>(),
        services.GetService<MaintenanceScheduler>(),
        services.GetService<MaintenanceAlarms>(),
        services.GetService<DiskGuard>(),
        services.GetService<UplinkState>());
}
