using EdgeStore.Health;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace EdgeStore.Systemd;

internal static class SystemdHostBuilderExtensions
{
    /// <summary>
    /// Makes the daemon a systemd citizen (C6): sd_notify READY/STATUS/WATCHDOG/STOPPING/EXTEND_TIMEOUT_USEC
    /// when started by systemd, and syslog-prefixed single-line console logs under journald. Outside systemd
    /// the services do nothing and the console keeps its normal format.
    /// </summary>
    internal static HostApplicationBuilder AddSystemdIntegration(this HostApplicationBuilder builder) =>
        builder.AddSystemdIntegration(SystemdEnvironment.FromProcess());

    /// <summary>As <see cref="AddSystemdIntegration(HostApplicationBuilder)"/>, with the environment given (for tests).</summary>
    internal static HostApplicationBuilder AddSystemdIntegration(this HostApplicationBuilder builder, SystemdEnvironment environment)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IngestHeartbeat>();
        services.TryAddSingleton<DaemonStatus>();
        services.TryAddSingleton(environment);
        services.TryAddSingleton<ISystemdNotifier>(_ => new SystemdNotifier(environment.NotifySocket));
        services.TryAddSingleton(new SystemdNotifyOptions { WatchdogInterval = environment.WatchdogInterval });

        // First among the hosted services, so the start-timeout extension and the first STATUS= begin before
        // any other service starts opening or migrating the database.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, SystemdStatusReporter>());
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService, SystemdLifecycleNotifier>());
        services.AddHostedService<SystemdWatchdog>();

        if (environment.IsJournalAttached)
        {
            // journald reads "<6>" as the priority, stores one entry per line and shows no ANSI colours.
            // PostConfigure wins over whatever console format the rest of the wiring chose.
            builder.Logging.AddSystemdConsole(options =>
            {
                options.IncludeScopes = false;
                options.TimestampFormat = null;
            });
            services.PostConfigure<ConsoleLoggerOptions>(options => options.FormatterName = ConsoleFormatterNames.Systemd);
            services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        }

        return builder;
    }
}
