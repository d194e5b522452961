using EdgeStore.Status;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace EdgeStore.Systemd;

internal static class SystemdHostBuilderExtensions
{
    /// <summary>
    /// Makes the daemon a systemd citizen (docs/ARCHITECTURE.md, C6): READY/STOPPING from the package's
    /// <see cref="SystemdLifetime"/>, and EdgeStore's STATUS/WATCHDOG/EXTEND_TIMEOUT_USEC on top, all through the
    /// package's <see cref="SystemdNotifier"/>, when started with a notify socket; syslog-prefixed single-line console
    /// logs under journald. Outside systemd nothing is registered and the console keeps its normal format.
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

        if (environment.NotifySocket is not null)
        {
            // Registered here, not through UseSystemd()/AddSystemd(): in 10.0 the package decides by
            // SystemdHelpers.IsSystemdService(), which reads the parent's /proc/<ppid>/comm, and under User= with
            // ProtectProc=invisible PID 1's entry is hidden, so it would silently register nothing and the unit
            // would time out waiting for READY=1. NOTIFY_SOCKET is what the service manager actually gives us.
            services.TryAddSingleton<ISystemdNotifier>(provider =>
                new NonBlockingSystemdNotifier(new SystemdNotifier(), provider.GetRequiredService<ILogger<NonBlockingSystemdNotifier>>()));
            services.AddSingleton<IHostLifetime, SystemdLifetime>();
            services.TryAddSingleton(new SystemdNotifyOptions { WatchdogInterval = environment.WatchdogInterval });

            // Order does not matter among these: the host runs every StartingAsync before any StartAsync (so the start
            // extension and the first STATUS= begin before the database is opened) and every StoppingAsync before any StopAsync.
            services.AddHostedService<SystemdTimeoutExtension>();
            services.AddHostedService<SystemdStatusReporter>();
            services.AddHostedService<SystemdWatchdog>();
        }

        if (environment.IsJournalAttached)
        {
            // journald reads "<6>" as the priority, stores one entry per line and shows no ANSI colours. The formatter
            // is Microsoft.Extensions.Logging.Console's (the package only selects it, and only when it detects systemd).
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
