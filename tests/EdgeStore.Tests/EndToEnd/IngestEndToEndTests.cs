using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>The daemon's main job: every QoS 1 message a sensor published ends up as exactly one row.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class IngestEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Qos1_stream_from_100_devices_is_stored_completely_once()
    {
        const int devices = 100;
        const int messages = 20_000;
        await using var scenario = new DaemonScenario(output, "e2e-ingest");
        var daemon = await scenario.StartSubscribedDaemonAsync();

        await using var sensors = scenario.StartSensors(devices, messages, ratePerSecond: 0);
        var published = await sensors.WaitPublishedAsync(DaemonScenario.DrainTimeout);
        Assert.Equal(messages, published);

        var stored = await scenario.Store.WaitForMessagesAsync(published, DaemonScenario.DrainTimeout);
        Assert.True(stored == published, $"stored {stored} of {published} within the drain timeout.\n{daemon.Dump()}");

        // Nothing more arrives later (no duplicate rows from redeliveries either).
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.AssertEveryMessageOnce(published, devices);
        Assert.Equal(0, scenario.Store.QuarantineCount());
        scenario.MarkPassed();
    }
}
