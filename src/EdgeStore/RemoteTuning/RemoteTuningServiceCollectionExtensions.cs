using EdgeStore.Configuration;
using EdgeStore.Health;
using EdgeStore.Ingest;
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
        services.TryAddSingleton(sp => new IngestTuningTarget(sp.GetRequiredService<IngestService>(), sp.GetRequiredService<DaemonStatus>()));
        services.TryAddSingleton<LoggingTuningTarget>();
        services.AddSingleton<ILiveTuningTarget>(sp => sp.GetRequiredService<IngestTuningTarget>());
        services.AddSingleton<ILiveTuningTarget>(sp => sp.GetRequiredService<LoggingTuningTarget>());
        services.TryAddSingleton(sp =>
        {
            var settings = sp.GetRequiredService<EdgeStoreSettings>();
            configuration.GetSection(nameof(EdgeStoreSettings.RemoteTuning)).Bind(settings.RemoteTuning);
            configuration.GetSection(nameof(EdgeStoreSettings.Metrics)).Bind(settings.Metrics);

            // The baseline is taken here, before RemoteTuningStartup writes the tuned values into the same settings.
            var capBytes = SettingsLoader.MmapCapMiB(MachineFacts.Current()) * 1024L * 1024;
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

        // First of all hosted services, wherever this call sits: the persisted tuning must be in the settings before
        // ingestion (or anything else) reads them.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, RemoteTuningStartup>());
        services.AddHostedService<RemoteTuningService>();
        services.AddHostedService<MetricsPublisher>();
        return services;
    }
}
