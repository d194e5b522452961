using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// SIGTERM in the middle of a stream (what systemd sends on stop or upgrade): stop reading, commit,
/// acknowledge, disconnect, exit 0. Everything the broker accepted is stored once the session drains.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class GracefulStopEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Sigterm_mid_stream_exits_0_and_the_session_drains_without_loss()
    {
        const int devices = 100;
        const int messages = 10_000;
        await using var scenario = new DaemonScenario(output, "e2e-sigterm");
        var daemon = await scenario.StartSubscribedDaemonAsync();

        await using var sensors = scenario.StartSensors(devices, messages, ratePerSecond: 1_500);
        var midStream = await scenario.Store.WaitForMessagesAsync(1_000, DaemonScenario.DrainTimeout);
        Assert.True(midStream >= 1_000, $"the daemon stored only {midStream} rows before the stop.\n{daemon.Dump()}");

        var stopTook = await DaemonScenario.StopCleanlyAsync(daemon);
        var atStop = scenario.Store.MessageCount();

        // The publisher got a PUBACK for every message: the broker holds what the stopped daemon did not take.
        var published = await sensors.WaitPublishedAsync(DaemonScenario.DrainTimeout);
        Assert.Equal(messages, published);

        var restarted = await scenario.StartSubscribedDaemonAsync();
        var stored = await scenario.Store.WaitForMessagesAsync(published, DaemonScenario.DrainTimeout);
        output.WriteLine($"exit 0 {stopTook.TotalSeconds:0.0} s after SIGTERM with {atStop} rows stored; after the restart: {stored} of {published}");
        Assert.True(stored == published, $"stored {stored} of {published} after the restart.\n{restarted.Dump()}");

        await DaemonScenario.StopCleanlyAsync(restarted);
        scenario.AssertEveryMessageOnce(published, devices);
        scenario.MarkPassed();
    }
}
