using EdgeStore.Systemd;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Systemd;

/// <summary>The sd_notify conversation of a real host, read from a real datagram socket, with a manual clock.</summary>
public sealed class SystemdNotifyProtocolTests
{
    private static readonly TimeSpan Timeout = SystemdHostHarness.ReceiveTimeout;
    private static readonly string ExtendMessage = SystemdNotifyMessage.ExtendTimeout(new SystemdNotifyOptions().TimeoutExtension);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ready_is_sent_only_after_the_ingest_service_finished_starting(bool abstractSocket)
    {
        await using var harness = SystemdHostHarness.Create(abstractSocket);

        var start = harness.Host.StartAsync();
        // The start-timeout extension is sent from StartingAsync, before any service starts.
        await harness.Listener.ReceiveUntilAsync(ExtendMessage, Timeout);
        Assert.DoesNotContain(SystemdNotifyMessage.Ready, harness.Listener.Drain());
        Assert.False(start.IsCompleted);

        harness.Ingest.FinishStart();
        await start;

        var before = await harness.Listener.ReceiveUntilAsync(SystemdNotifyMessage.Ready, Timeout);
        Assert.True(harness.Ingest.Started);
        Assert.DoesNotContain(before, d => d.StartsWith("WATCHDOG", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_long_start_is_extended_at_a_steady_cadence_up_to_the_cap()
    {
        await using var harness = SystemdHostHarness.Create();
        var options = new SystemdNotifyOptions();

        var start = harness.Host.StartAsync();
        await harness.Listener.ReceiveUntilAsync(ExtendMessage, Timeout);

        harness.Time.Advance(options.TimeoutExtensionInterval - TimeSpan.FromMilliseconds(1));
        Assert.Empty(harness.Drain("EXTEND_TIMEOUT_USEC="));
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([ExtendMessage], harness.Drain("EXTEND_TIMEOUT_USEC="));

        harness.Time.Advance(options.TimeoutExtensionInterval * 3);
        Assert.Equal(3, harness.Drain("EXTEND_TIMEOUT_USEC=").Count);

        // Past the cap a hung start is left to systemd's TimeoutStartSec. Drained every 20 s: the kernel queues
        // only a few datagrams per socket. The clock moves one interval at a time because FakeTimeProvider
        // runs every timer due within one Advance with the clock already at its end.
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
        await harness.Listener.ReceiveUntilAsync(SystemdNotifyMessage.Ready, Timeout);
    }

    [Fact]
    public async Task Extension_stops_at_ready()
    {
        await using var harness = SystemdHostHarness.Create();

        await harness.StartReadyAsync();
        harness.Listener.Drain();
        harness.AdvanceBeating(TimeSpan.FromMinutes(1));

        Assert.Empty(harness.Drain("EXTEND_TIMEOUT_USEC="));
    }

    [Fact]
    public async Task Watchdog_keep_alives_follow_half_of_WATCHDOG_USEC()
    {
        await using var harness = SystemdHostHarness.Create(false, ("WATCHDOG_USEC", "10000000"));
        await harness.StartReadyAsync();
        harness.Listener.Drain();

        harness.AdvanceBeating(TimeSpan.FromSeconds(4));
        Assert.Empty(harness.Drain("WATCHDOG"));

        harness.AdvanceBeating(TimeSpan.FromSeconds(1));
        Assert.Equal([SystemdNotifyMessage.Watchdog], harness.Drain("WATCHDOG"));

        for (var period = 0; period < 6; period++)
        {
            harness.AdvanceBeating(TimeSpan.FromSeconds(5));
            Assert.Equal([SystemdNotifyMessage.Watchdog], harness.Drain("WATCHDOG"));
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task No_keep_alive_while_a_loop_is_stalled_and_they_resume_when_it_recovers(bool ingestBeats, bool writerBeats)
    {
        await using var harness = SystemdHostHarness.Create(false, ("WATCHDOG_USEC", "10000000"));
        await harness.StartReadyAsync();
        harness.AdvanceBeating(TimeSpan.FromSeconds(5));
        Assert.Equal([SystemdNotifyMessage.Watchdog], harness.Drain("WATCHDOG"));

        // One loop stops beating: after WatchdogStaleAfter (5 s here) no keep-alive is sent, for as long as it lasts.
        harness.AdvanceBeating(TimeSpan.FromSeconds(5), ingestBeats, writerBeats);
        Assert.Equal([SystemdNotifyMessage.Watchdog], harness.Drain("WATCHDOG"));
        harness.AdvanceBeating(TimeSpan.FromSeconds(60), ingestBeats, writerBeats);
        Assert.Empty(harness.Drain("WATCHDOG"));

        harness.AdvanceBeating(TimeSpan.FromSeconds(5));
        Assert.Equal([SystemdNotifyMessage.Watchdog], harness.Drain("WATCHDOG"));
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

        await using var harness = SystemdHostHarness.Create(false, [.. variables]);
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
        var statusLines = (await harness.Listener.ReceiveUntilAsync(ExtendMessage, Timeout))
            .Where(d => d.StartsWith("STATUS=", StringComparison.Ordinal)).ToList();

        // The reporter's timer is due at once, and FakeTimeProvider runs such a callback inside CreateTimer, before
        // the reporter holds its timer (so that first report is skipped); the line goes out at the first period.
        harness.Time.Advance(options.StatusInterval);
        await Wait.UntilAsync(
            () =>
            {
                statusLines.AddRange(harness.Drain("STATUS="));
                return statusLines.Count > 0;
            },
            Timeout,
            "the first STATUS= line");
        var migrating = Assert.Single(statusLines);
        Assert.Equal("STATUS=" + harness.Status.ToStatusLine(), migrating);
        Assert.Contains("migrating", migrating, StringComparison.Ordinal);

        harness.Status.Phase = "ingesting";
        harness.Status.BrokerConnected = true;
        harness.Ingest.FinishStart();
        await start;
        await harness.Listener.ReceiveUntilAsync("STATUS=" + harness.Status.ToStatusLine(), Timeout);

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
        await using var harness = SystemdHostHarness.Create(false, ("WATCHDOG_USEC", "10000000"));
        await harness.StartReadyAsync();
        harness.AdvanceBeating(TimeSpan.FromSeconds(10));
        harness.Listener.Drain();

        var stop = harness.Host.StopAsync();
        await harness.Ingest.StopBegan;
        var afterStopping = new List<string>();
        var beforeStopping = await harness.Listener.ReceiveUntilAsync(SystemdNotifyMessage.Stopping, Timeout);
        Assert.DoesNotContain(beforeStopping, d => d.StartsWith("EXTEND", StringComparison.Ordinal));
        Assert.Equal(ExtendMessage, await harness.Listener.ReceiveAsync(Timeout));

        // The final commit takes a while: the stop keeps being extended, and the watchdog has gone quiet.
        harness.AdvanceBeating(TimeSpan.FromSeconds(15));
        afterStopping.AddRange(harness.Listener.Drain());
        Assert.Equal(3, afterStopping.Count(d => d == ExtendMessage));
        Assert.DoesNotContain(SystemdNotifyMessage.Watchdog, afterStopping);

        harness.Ingest.FinishStop();
        await stop;
        Assert.Equal(0, harness.Time.ArmedTimerCount);
        harness.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.DoesNotContain(harness.Listener.Drain(), d => d == ExtendMessage || d == SystemdNotifyMessage.Watchdog);
    }

    [Fact]
    public async Task Without_a_notify_socket_the_integration_stays_silent_and_starts_no_timer()
    {
        var time = new TrackingTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var builder = new Microsoft.Extensions.Hosting.HostApplicationBuilder(
            new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { DisableDefaults = true });
        Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<TimeProvider>(builder.Services, time);
        builder.AddSystemdIntegration(new SystemdEnvironment(name => name == "WATCHDOG_USEC" ? "10000000" : null, Environment.ProcessId));
        using var host = builder.Build();

        await host.StartAsync();
        Assert.Equal(0, time.ArmedTimerCount);
        await host.StopAsync();
    }
}
