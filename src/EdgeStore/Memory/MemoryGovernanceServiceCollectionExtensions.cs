using EdgeStore.Configuration;
using EdgeStore.Health;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EdgeStore.Memory;

/// <summary>
/// One call wires the memory capability: settings bound from section "Memory" and validated at start,
/// the cgroup and effective RAM found once, the cap, the monitor and the governor (both hosted when
/// Memory:Enabled). After opening the database the host calls <see cref="MmapGovernor.AttachStorageAsync"/>
/// and uses <see cref="MmapCap.Clamp"/> for the mmap size it opens with.
/// </summary>
internal static class MemoryGovernanceServiceCollectionExtensions
{
    public static IServiceCollection AddMemoryGovernance(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<MemorySettings>().Bind(configuration.GetSection(MemorySettings.SectionName)).ValidateOnStart();
        var enabled = configuration.GetSection(MemorySettings.SectionName).GetValue(nameof(MemorySettings.Enabled), defaultValue: true);
        return AddCore(services, enabled);
    }

    /// <summary>For a host that loads its settings itself (EdgeStoreSettings.Memory): the same wiring around that instance.</summary>
    public static IServiceCollection AddMemoryGovernance(this IServiceCollection services, MemorySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        // Copied into the options pipeline (rather than registered as a ready IOptions) so validation still runs.
        services.AddOptions<MemorySettings>().Configure(target =>
        {
            foreach (var property in typeof(MemorySettings).GetProperties().Where(p => p.CanWrite))
            {
                property.SetValue(target, property.GetValue(settings));
            }
        });
        return AddCore(services, settings.Enabled);
    }

    private static IServiceCollection AddCore(IServiceCollection services, bool enabled)
    {
        services.AddOptions<MemorySettings>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MemorySettings>, MemorySettingsValidator>());
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
