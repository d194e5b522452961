using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// The broker goes away in the middle of the stream (a mosquitto upgrade or restart on the gateway) while the
/// daemon is draining a backlog and sensors keep publishing. Mosquitto persists the session's queued and
/// in-flight messages on a clean stop, the daemon reconnects with its session, the sensors retry what the
/// broker had not acknowledged, and nothing is lost or stored twice.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class BrokerRestartEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Broker_stopped_and_restarted_mid_stream_loses_nothing()
    {
        const int devices = 100;
        const int backlog = 10_000;
        const int live = 6_000;
        await using var scenario = new DaemonScenario(output, "e2e-broker-restart");

        // Small fsync'ed batches slow the drain down so that the broker stop lands in the middle of it.
        scenario.Environment["EDGESTORE__STORAGE__DURABILITY"] = "Full";
        scenario.Environment["EDGESTORE__INGEST__MAXBATCHROWS"] = "20";

        // Create the persistent session, then let a backlog queue up for it while the daemon is stopped.
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await DaemonScenario.StopCleanlyAsync(daemon);
        await using (var queued = scenario.StartSensors(devices, backlog, ratePerSecond: 0))
        {
            Assert.Equal(backlog, await queued.WaitPublishedAsync(DaemonScenario.DrainTimeout));
        }

        daemon = await scenario.StartSubscribedDaemonAsync();

        // Live sensors under other topics (separate series), publishing through the broker restart.
        await using var sensors = scenario.StartSensors(devices, live, ratePerSecond: 1_000, topicPrefix: "sensors/live");
        await scenario.Store.WaitForMessagesAsync(1_000, DaemonScenario.DrainTimeout);
        var mark = daemon.LineCount;
        scenario.Broker.Stop();
        var atStop = scenario.Store.MessageCount();
        scenario.Broker.StartAgain();

        // The same daemon process reconnects on its own and resumes its session.
        await daemon.WaitForOutputAsync(DaemonScenario.SubscribedLine, DaemonScenario.StartTimeout, afterLine: mark);
        Assert.Equal(live, await sensors.WaitPublishedAsync(DaemonScenario.DrainTimeout));

        const long expected = backlog + live;
        var stored = await scenario.Store.WaitForMessagesAsync(expected, DaemonScenario.DrainTimeout);
        output.WriteLine($"rows when the broker stopped: {atStop}; stored {stored} of {expected}");
        Assert.True(stored == expected, $"stored {stored} of {expected}.\n{daemon.Dump()}");

        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.AssertEveryMessageOnce(expected, 2 * devices);
        scenario.MarkPassed();
    }
}
