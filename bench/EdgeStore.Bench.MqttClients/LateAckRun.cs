using System.Collections.Concurrent;
using System.Globalization;
using EdgeStore.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using EsClient = EdgeStore.Mqtt.MqttClient;
using EsOptions = EdgeStore.Mqtt.MqttClientOptions;
using EsQos = EdgeStore.Mqtt.MqttQualityOfService;
using EsSubscription = EdgeStore.Mqtt.MqttSubscription;

namespace EdgeStore.Bench.MqttClients;

/// <summary>
/// Figure 2, a manual acknowledgement sent after a reconnect. A subscriber with a persistent session receives four
/// QoS 1 messages (first/1..4) and holds their acknowledgements, as ingest holds them until the batch commits. The
/// connection is then lost, either cut (the broker keeps the session) or by a broker crash and restart (the session
/// is gone). The client connects again, four more messages arrive (second/1..4) and are held too. Then the first
/// four "commit" and their acknowledgements are sent late, and the subscriber crashes before second/1..4 are
/// stored. A fresh connection to the same session shows what the broker still owes: every second/* message it does
/// not redeliver was acknowledged without being stored, that is, lost.
/// </summary>
internal static class LateAckRun
{
    private const string SubscriberId = "late-ack-subscriber";
    private const uint SessionExpirySeconds = 300;
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(string client, bool restartBroker)
    {
        using var broker = BenchBrokers.Start();
        using var relay = new TcpRelay(broker.Port);
        await using var publisher = new EsClient(new EsOptions { Port = broker.Port, ClientId = "late-ack-publisher", CleanStart = true });
        await publisher.StartAsync(CancellationToken.None);
        await publisher.WaitConnectedAsync(CancellationToken.None);
        await using var subscriber = client == "mqttnet" ? (HeldAckSubscriber)new MqttNetHeld(relay.Port) : new EdgeStoreHeld(relay.Port);

        var firstSession = await subscriber.ConnectAsync();
        await PublishAsync(publisher, "first");
        await Wait.UntilAsync(() => subscriber.Received.Count(m => m.Topic.StartsWith("demo/first/", StringComparison.Ordinal)) == 4, StepTimeout, "first/1..4 received");
        var first = subscriber.Received.ToArray();

        if (restartBroker)
        {
            broker.Kill();
            broker.StartAgain();
        }
        else
        {
            relay.Cut(refuseNew: false);
        }

        var secondSession = await subscriber.ReconnectAsync();
        // Whatever the broker redelivers comes right after CONNACK; a second of quiet is plenty on loopback.
        await Task.Delay(1000);
        await publisher.WaitConnectedAsync(CancellationToken.None);
        await PublishAsync(publisher, "second");
        await Wait.UntilAsync(() => subscriber.Received.Count(m => m.Topic.StartsWith("demo/second/", StringComparison.Ordinal)) == 4, StepTimeout, "second/1..4 received");
        var onSecond = subscriber.Received.Skip(first.Length).ToArray();

        // first/1..4 are now committed: their acknowledgements go out, late.
        var lateAcks = new List<string>();
        foreach (var message in first)
        {
            lateAcks.Add($"{message.PacketId}:{await message.AcknowledgeAsync()}");
        }

        await Task.Delay(500);
        // The subscriber crashes before second/1..4 are committed: the network goes, then the process.
        relay.Cut(refuseNew: true);
        await subscriber.CrashAsync();

        var owed = await RedeliveredAsync(broker.Port);
        var lost = Enumerable.Range(1, 4).Select(i => $"demo/second/{i}").Where(topic => !owed.Contains(topic)).ToArray();
        var how = restartBroker ? "broker killed and restarted (session lost)" : "connection cut (broker kept the session)";
        Console.WriteLine($"  {client,-9} {how}:");
        Console.WriteLine($"    connection 1 (session present {firstSession}): {string.Join(", ", first.Select(m => m.Describe()))}");
        Console.WriteLine($"    connection 2 (session present {secondSession}): {string.Join(", ", onSecond.Select(m => m.Describe()))}");
        Console.WriteLine($"    late acknowledgements of first/1..4, packet id:outcome: {string.Join(", ", lateAcks)}");
        Console.WriteLine($"    after the crash the broker redelivered: {(owed.Count == 0 ? "nothing" : string.Join(", ", owed))}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    second/1..4 acknowledged to the broker but never stored (lost): {lost.Length} of 4{(lost.Length > 0 ? " (" + string.Join(", ", lost) + ")" : string.Empty)}"));
    }

    private static async Task PublishAsync(EsClient publisher, string batch)
    {
        for (var i = 1; i <= 4; i++)
        {
            await publisher.PublishAsync($"demo/{batch}/{i}", System.Text.Encoding.ASCII.GetBytes($"{batch}-{i}"), EsQos.AtLeastOnce, false, CancellationToken.None);
        }
    }

    /// <summary>Resumes the subscriber's session directly at the broker and lists what it redelivers within 2 s,
    /// acknowledging nothing.</summary>
    private static async Task<List<string>> RedeliveredAsync(int brokerPort)
    {
        var topics = new ConcurrentQueue<string>();
        await using var checker = new EsClient(new EsOptions
        {
            Port = brokerPort,
            ClientId = SubscriberId,
            CleanStart = false,
            SessionExpiryInterval = TimeSpan.FromSeconds(SessionExpirySeconds),
            Subscriptions = [new EsSubscription("demo/#", EsQos.AtLeastOnce)],
        });
        checker.MessageReceived = (message, _) =>
        {
            topics.Enqueue(message.Topic);
            return ValueTask.CompletedTask;
        };
        await checker.StartAsync(CancellationToken.None);
        await checker.WaitConnectedAsync(CancellationToken.None);
        await Task.Delay(2000);
        await checker.StopAsync(CancellationToken.None);
        return [.. topics];
    }

    /// <summary>One received message whose acknowledgement is held.</summary>
    private sealed record HeldMessage(string Topic, ushort PacketId, bool Duplicate, Func<Task<string>> AcknowledgeAsync)
    {
        public string Describe() => $"{Topic[5..]} id {PacketId}{(Duplicate ? " (dup)" : string.Empty)}";
    }

    /// <summary>A subscriber that holds every acknowledgement until told to send it.</summary>
    private abstract class HeldAckSubscriber : IAsyncDisposable
    {
        public ConcurrentQueue<HeldMessage> Received { get; } = new();

        /// <summary>Connects and subscribes; returns the broker's session-present flag.</summary>
        public abstract Task<bool> ConnectAsync();

        /// <summary>Waits until the lost connection is noticed and a new one is ready; returns session present.</summary>
        public abstract Task<bool> ReconnectAsync();

        /// <summary>Stops without acknowledging anything more (the network is already gone).</summary>
        public abstract Task CrashAsync();

        public abstract ValueTask DisposeAsync();
    }

    /// <summary>MQTTnet 5.2 with manual acknowledgement: AutoAcknowledge = false, AcknowledgeAsync later. MQTTnet has
    /// no automatic reconnect; the application calls ConnectAsync again, as its samples do.</summary>
    private sealed class MqttNetHeld : HeldAckSubscriber
    {
        private readonly MqttClientFactory _factory = new();
        private readonly IMqttClient _client;
        private readonly MqttClientOptions _options;

        public MqttNetHeld(int port)
        {
            _client = _factory.CreateMqttClient();
            _options = new MqttClientOptionsBuilder()
                .WithTcpServer("127.0.0.1", port)
                .WithClientId(SubscriberId)
                .WithProtocolVersion(MqttProtocolVersion.V500)
                .WithCleanStart(false)
                .WithSessionExpiryInterval(SessionExpirySeconds)
                .Build();
            _client.ApplicationMessageReceivedAsync += e =>
            {
                e.AutoAcknowledge = false;
                Received.Enqueue(new HeldMessage(e.ApplicationMessage.Topic, e.PacketIdentifier, e.ApplicationMessage.Dup, async () =>
                {
                    try
                    {
                        await e.AcknowledgeAsync(CancellationToken.None);
                        return "sent";
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        return ex.GetType().Name;
                    }
                }));
                return Task.CompletedTask;
            };
        }

        public override async Task<bool> ConnectAsync()
        {
            var result = await _client.ConnectAsync(_options, CancellationToken.None);
            await _client.SubscribeAsync(_factory.CreateSubscribeOptionsBuilder().WithTopicFilter("demo/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
            return result.IsSessionPresent;
        }

        public override async Task<bool> ReconnectAsync()
        {
            await Wait.UntilAsync(() => !_client.IsConnected, StepTimeout, "MQTTnet noticed the lost connection");
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await ConnectAsync();
                }
                catch (Exception) when (attempt < 50)
                {
                    await Task.Delay(200);
                }
            }
        }

        public override async Task CrashAsync()
        {
            await Wait.UntilAsync(() => !_client.IsConnected, StepTimeout, "MQTTnet noticed the lost connection");
            _client.Dispose();
        }

        public override ValueTask DisposeAsync()
        {
            _client.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>EdgeStore.Mqtt: tokens carry the connection that received the message; it reconnects by itself.</summary>
    private sealed class EdgeStoreHeld : HeldAckSubscriber
    {
        private readonly EsClient _client;
        private readonly ConcurrentQueue<bool> _sessions = new();

        public EdgeStoreHeld(int port)
        {
            _client = new EsClient(new EsOptions
            {
                Port = port,
                ClientId = SubscriberId,
                CleanStart = false,
                SessionExpiryInterval = TimeSpan.FromSeconds(SessionExpirySeconds),
                ReconnectMinDelay = TimeSpan.FromMilliseconds(200),
                Subscriptions = [new EsSubscription("demo/#", EsQos.AtLeastOnce)],
            });
            _client.ConnectionAccepted = (connection, _) =>
            {
                _sessions.Enqueue(connection.SessionPresent);
                return ValueTask.CompletedTask;
            };
            _client.MessageReceived = (message, _) =>
            {
                var token = message.AckToken;
                Received.Enqueue(new HeldMessage(message.Topic, token.PacketId, message.Duplicate, () =>
                {
                    var stale = _client.Counters.AcksDroppedStale;
                    _client.Acknowledge(token);
                    return Task.FromResult(_client.Counters.AcksDroppedStale > stale ? "dropped (stale connection)" : "sent");
                }));
                return ValueTask.CompletedTask;
            };
        }

        public override async Task<bool> ConnectAsync()
        {
            await _client.StartAsync(CancellationToken.None);
            await _client.WaitConnectedAsync(CancellationToken.None);
            return _sessions.Last();
        }

        public override async Task<bool> ReconnectAsync()
        {
            await Wait.UntilAsync(() => _sessions.Count >= 2 && _client.IsConnected, StepTimeout, "EdgeStore.Mqtt reconnected");
            return _sessions.Last();
        }

        public override async Task CrashAsync()
        {
            await Wait.UntilAsync(() => !_client.IsConnected, StepTimeout, "EdgeStore.Mqtt noticed the lost connection");
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _client.StopAsync(stop.Token);
        }

        public override async ValueTask DisposeAsync() => await _client.DisposeAsync();
    }
}
