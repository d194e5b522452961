using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// The broker goes away while the daemon is draining its session (an upgrade of mosquitto, a crash of the
/// gateway's broker service). Mosquitto persists the session's queued and in-flight messages on a clean stop,
/// the daemon reconnects with its session, and nothing is lost or stored twice.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class BrokerRestartEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Broker_stopped_and_restarted_mid_stream_loses_nothing()
    {
        const int devices = 100;
        const int backlog = 20_000;
        const int afterRestart = 2_000;
        await using var scenario = new DaemonScenario(output, "e2e-broker-restart");

        // Small fsync'ed batches slow the drain down so that the broker stop lands in the middle of it.
        scenario.Environment["EDGESTORE__STORAGE__DURABILITY"] = "Full";
        scenario.Environment["EDGESTORE__INGEST__MAXBATCHROWS"] = "20";

        // Create the persistent session, then let a backlog queue up for it while the daemon is stopped.
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await DaemonScenario.StopCleanlyAsync(daemon);
        await using (var sensors = scenario.StartSensors(devices, backlog, ratePerSecond: 0))
        {
            Assert.Equal(backlog, await sensors.WaitPublishedAsync(DaemonScenario.DrainTimeout));
        }

        daemon = await scenario.StartSubscribedDaemonAsync();
        await scenario.Store.WaitForMessagesAsync(1, DaemonScenario.DrainTimeout);
        var mark = daemon.LineCount;
        scenario.Broker.Stop();
        var atStop = scenario.Store.MessageCount();
        scenario.Broker.StartAgain();

        // The same daemon process reconnects on its own and resumes its session.
        await daemon.WaitForOutputAsync(DaemonScenario.SubscribedLine, DaemonScenario.StartTimeout, afterLine: mark);

        // A second stream after the restart, under other topics so its sequences are separate series.
        await using (var sensors = scenario.StartSensors(devices, afterRestart, ratePerSecond: 0, topicPrefix: "sensors/after"))
        {
            Assert.Equal(afterRestart, await sensors.WaitPublishedAsync(DaemonScenario.DrainTimeout));
        }

        var expected = backlog + afterRestart;
        var stored = await scenario.Store.WaitForMessagesAsync(expected, DaemonScenario.DrainTimeout);
        output.WriteLine($"rows when the broker stopped: {atStop} of a {backlog} backlog; stored {stored} of {expected}");
        Assert.True(stored == expected, $"stored {stored} of {expected}.\n{daemon.Dump()}");

        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.AssertEveryMessageOnce(expected, 2 * devices);
        scenario.MarkPassed();
    }
}
