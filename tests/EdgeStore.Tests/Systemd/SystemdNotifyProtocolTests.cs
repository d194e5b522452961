using EdgeStore.Systemd;
using EdgeStore.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace EdgeStore.Tests.Systemd;

/// <summary>
/// The sd_notify conversation of a real host (the package's SystemdLifetime plus EdgeStore's services), recorded in
/// order, with a fake clock (TrackingTimeProvider).
/// </summary>
public sealed class SystemdNotifyProtocolTests
{
    private const string Ready = "READY=1";
    private const string Stopping = "STOPPING=1";
    private const string Watchdog = "WATCHDOG=1";
    private static readonly TimeSpan Timeout = SystemdHostHarness.ReceiveTimeout;
    private static readonly string ExtendMessage = SystemdNotifyMessage.ExtendTimeout(new SystemdNotifyOptions().TimeoutExtension).ToString();

    [Fact]
    public async Task Ready_is_sent_only_after_the_ingest_service_finished_starting()
    {
        await using var harness = SystemdHostHarness.Create();

        var start = harness.Host.StartAsync();
        // The start-timeout extension is sent from StartingAsync, before any service starts.
        await harness.Notifications.ReceiveUntilAsync(ExtendMessage, Timeout);
        Assert.DoesNotContain(Ready, harness.Notifications.Drain());
        Assert.False(start.IsCompleted);

        harness.Ingest.FinishStart();
        await start;

        var before = await harness.Notifications.ReceiveUntilAsync(Ready, Timeout);
        Assert.True(harness.Ingest.Started);
        Assert.DoesNotContain(before, d => d.StartsWith("WATCHDOG", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Ready_and_stopping_are_each_sent_once_in_a_whole_run()
    {
        await using var harness = SystemdHostHarness.Create(("WATCHDOG_USEC", "10000000"));
        await harness.StartReadyAsync();
        harness.AdvanceBeating(TimeSpan.FromSeconds(30));
        harness.Ingest.FinishStop();
        await harness.Host.StopAsync();

        var rest = harness.Notifications.Drain();
        Assert.DoesNotContain(Ready, rest);
        Assert.Single(rest, Stopping);
        var stopping = rest.IndexOf(Stopping);
        Assert.DoesNotContain(Watchdog, rest[stopping..]);
        Assert.Contains(Watchdog, rest[..stopping]);
    }

    [Fact]
    public async Task A_long_start_is_extended_at_a_steady_cadence_up_to_the_cap()
    {
        await using var harness = SystemdHostHarness.Create();
        var options = new SystemdNotifyOptions();

        var start = harness.Host.StartAsync();
        await harness.Notifications.ReceiveUntilAsync(ExtendMessage, Timeout);

        harness.Time.Advance(options.TimeoutExtensionInterval - TimeSpan.FromMilliseconds(1));
        Assert.Empty(harness.Drain("EXTEND_TIMEOUT_USEC="));
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([ExtendMessage], harness.Drain("EXTEND_TIMEOUT_USEC="));

        harness.Time.Advance(options.TimeoutExtensionInterval * 3);
        Assert.Equal(3, harness.Drain("EXTEND_TIMEOUT_USEC=").Count);

        // Past the cap a hung start is left to systemd's TimeoutStartSec. The clock moves one interval at a time
        // because FakeTimeProvider runs every timer due within one Advance with the clock already at its end.
        var elapsed = options.TimeoutExtensionInterval * 4;
        var extensions = 1 + 1 + 3;
        for (; elapsed < options.MaxStartExtension + TimeSpan.FromMinutes(1); elapsed += TimeSpan.FromSeconds(20))
        {
            for (var step = TimeSpan.Zero; step < TimeSpan.FromSeconds(20); step += options.TimeoutExtensionInterval)
            {
                harness.Time.Advance(options.TimeoutExtensionInterval);
            }

            extensions += harness.Drain("EXTEND_TIMEOUT_USEC=").Count;
        }

        Assert.Equal(1 + (int)(options.MaxStartExtension / options.TimeoutExtensionInterval) - 1, extensions);
        harness.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(harness.Drain("EXTEND_TIMEOUT_USEC="));

        harness.Ingest.FinishStart();
        await start;
        await harness.Notifications.ReceiveUntilAsync(Ready, Timeout);
    }

    [Fact]
    public async Task Extension_stops_at_ready()
    {
        await using var harness = SystemdHostHarness.Create();

        await harness.StartReadyAsync();
        harness.Notifications.Drain();
        harness.AdvanceBeating(TimeSpan.FromMinutes(1));

        Assert.Empty(harness.Drain("EXTEND_TIMEOUT_USEC="));
    }

    [Fact]
    public async Task Watchdog_keep_alives_follow_half_of_WATCHDOG_USEC()
    {
        await using var harness = SystemdHostHarness.Create(("WATCHDOG_USEC", "10000000"));
        await harness.StartReadyAsync();
        harness.Notifications.Drain();

        harness.AdvanceBeating(TimeSpan.FromSeconds(4));
        Assert.Empty(harness.Drain("WATCHDOG"));

        harness.AdvanceBeating(TimeSpan.FromSeconds(1));
        Assert.Equal([Watchdog], harness.Drain("WATCHDOG"));

        for (var period = 0; period < 6; period++)
        {
            harness.AdvanceBeating(TimeSpan.FromSeconds(5));
            Assert.Equal([Watchdog], harness.Drain("WATCHDOG"));
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task No_keep_alive_while_a_loop_is_stalled_and_they_resume_when_it_recovers(bool ingestBeats, bool writerBeats)
    {
        await using var harness = SystemdHostHarness.Create(("WATCHDOG_USEC", "10000000"));
        await harness.StartReadyAsync();
        harness.AdvanceBeating(TimeSpan.FromSeconds(5));
        Assert.Equal([Watchdog], harness.Drain("WATCHDOG"));

        // One loop stops beating: after WatchdogStaleAfter (5 s here) no keep-alive is sent, for as long as it lasts.
        harness.AdvanceBeating(TimeSpan.FromSeconds(5), ingestBeats, writerBeats);
        Assert.Equal([Watchdog], harness.Drain("WATCHDOG"));
        harness.AdvanceBeating(TimeSpan.FromSeconds(60), ingestBeats, writerBeats);
        Assert.Empty(harness.Drain("WATCHDOG"));

        harness.AdvanceBeating(TimeSpan.FromSeconds(5));
        Assert.Equal([Watchdog], harness.Drain("WATCHDOG"));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("10000000", "1")]
    public async Task No_keep_alives_when_the_watchdog_is_off_or_meant_for_another_process(string? usec, string? pid)
    {
        var variables = new List<(string, string)>();
        if (usec is not null)
        {
            variables.Add(("WATCHDOG_USEC", usec));
        }

        if (pid is not null)
        {
            variables.Add(("WATCHDOG_PID", pid));
        }

        await using var harness = SystemdHostHarness.Create([.. variables]);
        await harness.StartReadyAsync();
        harness.AdvanceBeating(TimeSpan.FromMinutes(2));

        Assert.Empty(harness.Drain("WATCHDOG"));
    }

    [Fact]
    public async Task Status_line_is_sent_when_it_changes_and_not_repeated()
    {
        await using var harness = SystemdHostHarness.Create();
        harness.Status.Phase = "migrating";
        var options = new SystemdNotifyOptions();

        var start = harness.Host.StartAsync();
        var statusLines = (await harness.Notifications.ReceiveUntilAsync(ExtendMessage, Timeout))
            .Where(d => d.StartsWith("STATUS=", StringComparison.Ordinal)).ToList();

        // The reporter's timer is due at once, and FakeTimeProvider runs such a callback inside CreateTimer, before
        // the reporter holds its timer (so that first report is skipped); the line goes out at the first period.
        // The recording notifier records on the advancing thread: the line is there when Advance returns.
        harness.Time.Advance(options.StatusInterval);
        statusLines.AddRange(harness.Drain("STATUS="));
        var migrating = Assert.Single(statusLines);
        Assert.Equal("STATUS=" + harness.Status.ToStatusLine(), migrating);
        Assert.Contains("migrating", migrating, StringComparison.Ordinal);

        harness.Status.Phase = "ingesting";
        harness.Status.BrokerConnected = true;
        harness.Ingest.FinishStart();
        await start;
        await harness.Notifications.ReceiveUntilAsync("STATUS=" + harness.Status.ToStatusLine(), Timeout);

        harness.AdvanceBeating(options.StatusInterval * 10);
        Assert.Empty(harness.Drain("STATUS="));

        harness.Status.Backlog = 1234;
        harness.AdvanceBeating(options.StatusInterval);
        var backlog = Assert.Single(harness.Drain("STATUS="));
        Assert.Contains("1234", backlog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_sends_STOPPING_extends_the_stop_and_ends_every_timer()
    {
        await using var harness = SystemdHostHarness.Create(("WATCHDOG_USEC", "10000000"));
        await harness.StartReadyAsync();
        harness.AdvanceBeating(TimeSpan.FromSeconds(10));
        harness.Notifications.Drain();

        // As the daemon stops on SIGTERM: SystemdLifetime calls StopApplication (ApplicationStopping: STOPPING=1), then
        // the host's RunAsync calls StopAsync (StoppingAsync: the stop extension begins).
        harness.Host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var stop = harness.Host.StopAsync();
        await harness.Ingest.StopBegan;
        var afterStopping = new List<string>();
        var beforeStopping = await harness.Notifications.ReceiveUntilAsync(Stopping, Timeout);
        Assert.DoesNotContain(beforeStopping, d => d.StartsWith("EXTEND", StringComparison.Ordinal));
        // The stop extension begins right after STOPPING=1 (a STATUS= line may come between them).
        await harness.Notifications.ReceiveUntilAsync(ExtendMessage, Timeout);

        // The final commit takes a while: the stop keeps being extended, and the watchdog has gone quiet.
        harness.AdvanceBeating(TimeSpan.FromSeconds(15));
        afterStopping.AddRange(harness.Notifications.Drain());
        Assert.Equal(3, afterStopping.Count(d => d == ExtendMessage));
        Assert.DoesNotContain(Watchdog, afterStopping);

        harness.Ingest.FinishStop();
        await stop;
        Assert.Equal(0, harness.Time.ArmedTimerCount);
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(harness.Notifications.Drain(), d => d == ExtendMessage || d == Watchdog);
    }

    [Fact]
    public async Task Without_a_notify_socket_nothing_is_registered_and_no_timer_starts()
    {
        var time = new TrackingTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.AddSystemdIntegration(new SystemdEnvironment(name => name == "WATCHDOG_USEC" ? "10000000" : null, Environment.ProcessId));
        using var host = builder.Build();

        Assert.Null(host.Services.GetService<ISystemdNotifier>());
        Assert.IsNotType<SystemdLifetime>(host.Services.GetRequiredService<IHostLifetime>());
        await host.StartAsync();
        Assert.Equal(0, time.ArmedTimerCount);
        await host.StopAsync();
    }

    [Fact]
    public void With_a_notify_socket_the_package_lifetime_and_the_non_blocking_notifier_are_registered()
    {
        // UseSystemd()/AddSystemd() would register nothing here: SystemdHelpers.IsSystemdService() looks at the parent
        // process, not at NOTIFY_SOCKET. EdgeStore's own detection registers the package's types explicitly.
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddSystemdIntegration(new SystemdEnvironment(name => name == "NOTIFY_SOCKET" ? "/run/systemd/notify" : null, Environment.ProcessId));
        using var host = builder.Build();

        Assert.IsType<SystemdLifetime>(host.Services.GetRequiredService<IHostLifetime>());
        Assert.IsType<NonBlockingSystemdNotifier>(host.Services.GetRequiredService<ISystemdNotifier>());
        var hosted = host.Services.GetServices<IHostedService>().Select(s => s.GetType()).ToList();
        Assert.Equal([typeof(SystemdTimeoutExtension), typeof(SystemdStatusReporter), typeof(SystemdWatchdog)], hosted);
    }
}
