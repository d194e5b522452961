using EdgeStore.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Uplink;

/// <summary>Registers the uplink: its state (always, so retention and remote tuning can ask it) and its forwarding service.</summary>
internal static class UplinkServiceCollectionExtensions
{
    public static IServiceCollection AddUplink(this IServiceCollection services, EdgeStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.TryAddSingleton(sp => new UplinkState(settings.Uplink, sp.GetRequiredService<ILogger<UplinkState>>()));
        services.AddHostedService<UplinkService>();
        return services;
    }
}
