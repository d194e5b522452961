using EdgeStore.Configuration;
using EdgeStore.Status;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeStore.Memory;

/// <summary>
/// One call wires the memory capability: the validated "Memory" settings, the cgroup and effective RAM found once, the cap, the monitor and the governor (both hosted when
/// Memory:Enabled). After opening the database the host calls <see cref="MmapGovernor.AttachStorageAsync"/>
/// and uses <see cref="MmapCap.Clamp"/> for the mmap size it opens with.
/// </summary>
internal static class MemoryGovernanceServiceCollectionExtensions
{
    /// <summary>
    /// The memory capability around <paramref name="settings"/>, which <see cref="SettingsLoader"/> has validated
    /// (EdgeStoreSettings.Memory). A host that registered an <see cref="EffectiveMemory"/> first (the settings
    /// loader's) gets the cap computed from it; otherwise the memory is read under `Memory:FilesRoot`.
    /// </summary>
    public static IServiceCollection AddMemoryGovernance(this IServiceCollection services, MemorySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.TryAddSingleton(Options.Create(settings));
        return AddCore(services, settings.Enabled);
    }

    private static IServiceCollection AddCore(IServiceCollection services, bool enabled)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DaemonStatus>();
        services.TryAddSingleton(sp => new MemoryFiles(sp.GetRequiredService<IOptions<MemorySettings>>().Value.FilesRoot));
        services.TryAddSingleton(sp => CgroupLocator.Locate(sp.GetRequiredService<MemoryFiles>()));
        services.TryAddSingleton<CgroupMemory>();
        services.TryAddSingleton(sp => EffectiveMemory.Read(sp.GetRequiredService<MemoryFiles>(), sp.GetRequiredService<CgroupMemory>()));
        services.TryAddSingleton<MmapCap>();
        services.TryAddSingleton<MemorySampler>();
        services.TryAddSingleton<MemoryPressureMonitor>();
        services.TryAddSingleton<MemoryGovernanceCounters>();
        services.TryAddSingleton<MmapGovernor>();
        services.TryAddSingleton<MemoryStatusReport>();

        // Hosted only when enabled; when disabled the governor still exists so attaching storage applies the capped ceiling.
        if (enabled)
        {
            services.AddHostedService(sp => sp.GetRequiredService<MemoryPressureMonitor>());
            services.AddHostedService(sp => sp.GetRequiredService<MmapGovernor>());
        }

        return services;
    }
}
