using System.Collections.Concurrent;
using System.Text.Json;
using EdgeStore.Mqtt;
using EdgeStore.Simulation;
using EdgeStore.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Tests.Simulation;

/// <summary>The simulator against a real mosquitto, with a subscriber counting what arrives.</summary>
public sealed class TelemetrySimulatorTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly MosquittoBroker _broker = MosquittoBroker.Start();

    public void Dispose() => _broker.Dispose();

    [Theory]
    [InlineData(1, 0)]
    [InlineData(0, 5000)]
    public async Task Publishes_the_count_with_complete_per_device_sequences(int qos, double rate)
    {
        const int devices = 7;
        const int count = 700;
        var received = new ConcurrentQueue<(string Topic, long Seq)>();
        await using var subscriber = await ConnectAsync("subscriber", [new MqttSubscription("sim/#", MqttQualityOfService.AtLeastOnce)]);
        subscriber.MessageReceived = (message, _) =>
        {
            using var json = JsonDocument.Parse(message.Payload);
            received.Enqueue((message.Topic, json.RootElement.GetProperty("seq").GetInt64()));
            subscriber.Acknowledge(message.AckToken);
            return ValueTask.CompletedTask;
        };
        await using var publisher = await ConnectAsync("publisher", []);
        var simulator = new TelemetrySimulator(publisher, TimeProvider.System, NullLogger.Instance);

        var result = await simulator.RunAsync(
            new SimulationPlan(devices, rate, Duration: null, Count: count, (MqttQualityOfService)qos, "sim", MalformedEvery: 0, MaxInFlight: 100),
            CancellationToken.None);

        Assert.Equal(new SimulationResult(count, 0, 0, result.Elapsed), result);
        await Wait.UntilAsync(() => received.Count >= count, Patience, $"{count} messages received");
        Assert.Equal(count, received.Count);
        var byDevice = received.GroupBy(r => r.Topic).ToDictionary(g => g.Key, g => g.Select(r => r.Seq).Order().ToList());
        Assert.Equal(devices, byDevice.Count);
        Assert.All(byDevice.Values, seqs => Assert.Equal(Enumerable.Range(1, count / devices).Select(i => (long)i), seqs));
        Assert.Contains("sim/dev-0007/telemetry", byDevice.Keys);
    }

    [Fact]
    public async Task A_duration_ends_a_fixed_rate_run_on_its_schedule_and_malformed_messages_are_extra()
    {
        await using var publisher = await ConnectAsync("publisher", []);
        var simulator = new TelemetrySimulator(publisher, TimeProvider.System, NullLogger.Instance);

        // 5 messages a second for 8 s: the schedule says 40. The rate is low enough that a loaded machine keeps up with
        // it (a run stops at twice its duration even when behind: at 200/s for 1 s a busy CI machine published 89 in 2 s,
        // and at 20/s for 2 s, with every test class starting at once, 27 in 4 s).
        var result = await simulator.RunAsync(
            new SimulationPlan(4, 5, TimeSpan.FromSeconds(8), Count: null, MqttQualityOfService.AtLeastOnce, "sim", MalformedEvery: 10, MaxInFlight: 100),
            CancellationToken.None);

        Assert.Equal(40, result.Published);
        Assert.Equal(4, result.Malformed);
        Assert.Equal(0, result.Failed);
    }

    [Fact]
    public async Task A_broker_restart_in_the_middle_of_a_run_delays_publishes_but_loses_none()
    {
        const int count = 3000;
        await using var publisher = await ConnectAsync("publisher", []);
        var simulator = new TelemetrySimulator(publisher, TimeProvider.System, NullLogger.Instance);

        var run = simulator.RunAsync(
            new SimulationPlan(10, 1000, Duration: null, Count: count, MqttQualityOfService.AtLeastOnce, "sim", MalformedEvery: 0, MaxInFlight: 100),
            CancellationToken.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        _broker.Stop();
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        _broker.StartAgain();
        var result = await run.WaitAsync(Patience);

        Assert.Equal(0, result.Failed);
        Assert.Equal(count, result.Published);
    }

    private async Task<MqttClient> ConnectAsync(string name, IList<MqttSubscription> subscriptions)
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Port = _broker.Port,
            ClientId = $"simulator-test-{name}",
            CleanStart = true,
            SessionExpiryInterval = TimeSpan.Zero,
            Subscriptions = subscriptions,
        });
        await client.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(Patience);
        await client.WaitConnectedAsync(timeout.Token);
        return client;
    }
}
