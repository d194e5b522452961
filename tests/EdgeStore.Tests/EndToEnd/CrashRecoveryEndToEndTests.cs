using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// C1 under crashes: SIGKILL of the daemon in the middle of a QoS 1 or QoS 2 stream, again and again. Whatever was
/// received but not committed is unacknowledged, so the broker redelivers it to the persistent session; whatever
/// was committed but not yet acknowledged is redelivered too (DUP=1, its packet id still in the ack ledger) and must
/// not be stored twice. The simulator's per-device sequence numbers are only the test's ruler: the daemon never
/// looks at them.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class CrashRecoveryEndToEndTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Repeated_kill_9_mid_stream_loses_nothing_and_stores_nothing_twice(int qos)
    {
        const int devices = 100;
        const int messages = 300_000;
        const int kills = 5;
        await using var scenario = new DaemonScenario(output, $"e2e-crash-qos{qos}");
        scenario.Environment["EDGESTORE__MQTT__SUBSCRIPTIONS__0__QOS"] = qos.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var daemon = await scenario.StartSubscribedDaemonAsync();

        // About a minute of stream, so the kills land while messages are arriving. The rate keeps the broker's backlog for
        // EdgeStore (what piles up while a killed daemon restarts) far below 65535 messages: mosquitto 2.0.11 assigns
        // packet ids when it queues a message, so a larger backlog puts two unacknowledged messages under one id, which
        // no subscriber can tell apart (docs/MOSQUITTO.md).
        await using var sensors = scenario.StartSensors(devices, messages, ratePerSecond: 5_000, qos: qos);
        var random = new Random(20_261_122 + qos);
        var countsAtKill = new List<long>();
        for (var kill = 0; kill < kills; kill++)
        {
            // Let this incarnation store something new first (bounded), then pull the plug at a random moment.
            var before = scenario.Store.MessageCount();
            await StoredTelemetry.WaitForAsync(scenario.Store.MessageCount, before + 1, TimeSpan.FromSeconds(10));
            await Task.Delay(random.Next(200, 1_200));
            daemon.Kill();
            var exitCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(exitCode != 0, $"a SIGKILLed daemon reported exit code {exitCode}");
            countsAtKill.Add(scenario.Store.MessageCount());
            daemon = await scenario.StartSubscribedDaemonAsync();
        }

        // Bounds for a loaded 2-core machine, never speed assertions.
        var published = await sensors.WaitPublishedAsync(TimeSpan.FromMinutes(4));
        Assert.Equal(messages, published);
        var stored = await scenario.Store.WaitForMessagesAsync(published, TimeSpan.FromMinutes(4));
        output.WriteLine($"rows at each kill: {string.Join(", ", countsAtKill)}; stored {stored} of {published}");
        Assert.True(stored == published, $"stored {stored} of {published} after {kills} kills.\n{daemon.Dump()}");

        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.AssertEveryMessageOnce(published, devices);
        scenario.MarkPassed();
    }
}
