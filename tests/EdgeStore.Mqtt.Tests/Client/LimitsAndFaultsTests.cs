using System.Net;
using System.Net.Sockets;
using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

public sealed class LimitsAndFaultsTests
{
    [Fact]
    public async Task Publish_larger_than_the_brokers_maximum_packet_size_is_refused_before_sending()
    {
        using var broker = MosquittoBroker.Start("max_packet_size 1000");
        await using var client = await TestClients.StartAsync(TestClients.Options(broker, "big-publisher"));

        var exception = await Assert.ThrowsAsync<MqttException>(() =>
            client.PublishAsync("big/x", new byte[2000], MqttQualityOfService.AtLeastOnce, false, CancellationToken.None));

        Assert.Contains("maximum packet size of 1000 bytes", exception.Message, StringComparison.Ordinal);
        Assert.True(client.IsConnected);
        await client.PublishAsync("big/x", new byte[500], MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        Assert.Equal(0, client.Counters.Reconnects);
    }

    [Fact]
    public async Task Broker_closes_the_connection_for_an_oversized_311_publish_and_the_client_reconnects()
    {
        using var broker = MosquittoBroker.Start("max_packet_size 1000");
        await using var client = await TestClients.StartAsync(TestClients.Options(broker, "big-311", MqttProtocolVersion.V311));

        // 3.1.1 has no way to learn the broker's limit: the broker refuses by closing the connection.
        await Assert.ThrowsAsync<MqttException>(() =>
            client.PublishAsync("big/x", new byte[2000], MqttQualityOfService.AtLeastOnce, false, CancellationToken.None));
        await Wait.UntilAsync(() => client.Counters.Reconnects == 1 && client.IsConnected, Inbox.Patience, "reconnect after the broker dropped us");
        await client.PublishAsync("big/x", new byte[10], MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
    }

    [Fact]
    public async Task Oversize_311_publish_is_read_through_delivered_marked_and_acknowledged_so_nothing_behind_it_is_blocked()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        var logger = new RecordingLogger<MqttClient>();
        // 3.1.1 cannot announce our limit, so the broker sends the large message and the client must read it through.
        var options = TestClients.Options(broker, "small-reader", MqttProtocolVersion.V311);
        options.MaximumPacketSize = 64 * 1024;
        options.Subscriptions = [new MqttSubscription("big/#", MqttQualityOfService.AtLeastOnce)];
        await using var subscriber = await TestClients.StartAsync(options, inbox, logger);
        await using var publisher = await TestClients.PublisherAsync(broker);
        var payload = new byte[1_500_000];
        Random.Shared.NextBytes(payload);

        await publisher.PublishAsync("big/camera", payload, MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        for (var i = 0; i < 10; i++)
        {
            await publisher.PublishAsync("big/small", Encoding.UTF8.GetBytes($"small {i}"), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        }

        var received = await inbox.TakeAsync(11);
        subscriber.Acknowledge(received.Select(m => m.AckToken).ToList());
        await Wait.UntilAsync(() => subscriber.Counters.AcksSent == 11, Inbox.Patience, "11 acks written");
        await TestClients.BarrierAsync(subscriber);

        var oversize = received[0];
        Assert.Equal("big/camera", oversize.Topic);
        Assert.Equal(1_500_000, oversize.OversizeLength);
        Assert.Equal(payload.AsSpan(0, options.OversizePrefixBytes).ToArray(), oversize.Payload.ToArray());
        Assert.Equal(MqttQualityOfService.AtLeastOnce, oversize.Qos);
        Assert.True(oversize.AckToken.RequiresAck);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"small {i}"), received.Skip(1).Select(m => Encoding.UTF8.GetString(m.Payload.Span)));
        Assert.All(received.Skip(1), m => Assert.Null(m.OversizeLength));
        Assert.Equal(0, subscriber.Counters.ProtocolErrors);
        Assert.Equal(0, subscriber.Counters.Reconnects);
        Assert.Equal(1, subscriber.Counters.OversizeMessages);
        Assert.Single(logger.Entries, l => l.Message.Contains("payload of 1500000 bytes, over the maximum packet size of 65536 bytes", StringComparison.Ordinal));

        // The broker has every acknowledgement: after a reconnect nothing comes back, the next message is new.
        var generation = subscriber.CurrentGeneration;
        subscriber.DropConnection();
        await Wait.UntilAsync(() => subscriber.IsConnected && subscriber.CurrentGeneration > generation, Inbox.Patience, "reconnect");
        await publisher.PublishAsync("big/small", "after"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        var next = await inbox.NextAsync();

        Assert.Equal("after", Encoding.UTF8.GetString(next.Payload.Span));
        Assert.False(next.Duplicate);
    }

    [Fact]
    public async Task Our_maximum_packet_size_is_announced_in_v5_so_the_broker_drops_larger_messages()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        var options = TestClients.Options(broker, "announced-limit");
        options.MaximumPacketSize = 1024;
        options.Subscriptions = [new MqttSubscription("big/#", MqttQualityOfService.AtLeastOnce)];
        await using var subscriber = await TestClients.StartAsync(options, inbox);
        await using var publisher = await TestClients.PublisherAsync(broker);

        await publisher.PublishAsync("big/x", new byte[4000], MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        await publisher.PublishAsync("big/x", "small"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        var message = await inbox.NextAsync();

        Assert.Equal("small", Encoding.UTF8.GetString(message.Payload.Span));
        Assert.Equal(0, subscriber.Counters.ProtocolErrors);
        Assert.Equal(0, subscriber.Counters.Reconnects);
    }

    [Fact]
    public async Task Malformed_packet_from_a_broker_closes_with_one_log_line_disconnect_0x90_and_reconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var logger = new RecordingLogger<MqttClient>();
        var inbox = new Inbox();
        var options = new MqttClientOptions
        {
            Port = port,
            ClientId = "victim",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        var client = new MqttClient(options, logger) { MessageReceived = inbox.Receive };
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            using var timeout = new CancellationTokenSource(Inbox.Patience);

            // First connection: a PUBLISH whose topic holds a wildcard, which no broker may send.
            using (var first = await listener.AcceptTcpClientAsync(timeout.Token))
            {
                var stream = first.GetStream();
                await ReadSomeAsync(stream, timeout.Token);
                await stream.WriteAsync(new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 }, timeout.Token);
                await stream.WriteAsync(new byte[] { 0x30, 0x06, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'+', 0x00 }, timeout.Token);
                using var answerTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                byte[] answer = [];
                try
                {
                    answer = await ReadSomeAsync(stream, answerTimeout.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail(logger.ToString());
                }

                Assert.Equal([0xE0, 0x01, 0x90], answer);
            }

            // Second connection: a well-formed message arrives normally.
            using var second = await listener.AcceptTcpClientAsync(timeout.Token);
            var secondStream = second.GetStream();
            await ReadSomeAsync(secondStream, timeout.Token);
            await secondStream.WriteAsync(new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 }, timeout.Token);
            await secondStream.WriteAsync(new byte[] { 0x30, 0x08, 0x00, 0x03, (byte)'o', (byte)'/', (byte)'k', 0x00, (byte)'h', (byte)'i' }, timeout.Token);
            var message = await inbox.NextAsync();

            Assert.Equal("o/k", message.Topic);
            Assert.Equal(1, client.Counters.ProtocolErrors);
            Assert.Equal(1, client.Counters.Reconnects);
            var line = Assert.Single(logger.Entries, l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
            Assert.Contains("protocol error: PUBLISH topic 'a/+' is not a valid topic name", line.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Broker_disconnect_with_reason_string_is_logged_and_the_client_reconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var logger = new RecordingLogger<MqttClient>();
        var options = new MqttClientOptions
        {
            Port = port,
            ClientId = "told-to-go",
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        var client = new MqttClient(options, logger);
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            using var timeout = new CancellationTokenSource(Inbox.Patience);
            using (var first = await listener.AcceptTcpClientAsync(timeout.Token))
            {
                var stream = first.GetStream();
                await ReadSomeAsync(stream, timeout.Token);
                await stream.WriteAsync(new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 }, timeout.Token);
                // DISCONNECT 0x8B (server shutting down) with reason string "maintenance".
                byte[] disconnect = [0xE0, 0x10, 0x8B, 0x0E, 0x1F, 0x00, 0x0B, .. "maintenance"u8];
                await stream.WriteAsync(disconnect, timeout.Token);
                using var second = await listener.AcceptTcpClientAsync(timeout.Token);
            }

            Assert.Equal(0, client.Counters.ProtocolErrors);
            Assert.Single(logger.Entries, l => l.Message.Contains("lost: the broker sent DISCONNECT with reason code 0x8B (maintenance)", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Blocked_consumer_stops_reading_without_a_dead_peer_disconnect()
    {
        using var broker = MosquittoBroker.Start();
        var release = new SemaphoreSlim(0);
        var received = 0;
        var inbox = new Inbox();
        var events = new System.Collections.Concurrent.ConcurrentQueue<MqttConnectionEvent>();
        var options = TestClients.Options(broker, "slow-consumer");
        options.KeepAlive = TimeSpan.FromSeconds(2);
        options.Subscriptions = [new MqttSubscription("load/#", MqttQualityOfService.AtLeastOnce)];
        var subscriber = new MqttClient(options);
        subscriber.ConnectionChanged += events.Enqueue;
        subscriber.MessageReceived = async (message, ct) =>
        {
            if (Interlocked.Increment(ref received) == 1)
            {
                // A full ingest queue: the consumer waits, so the receive loop waits, so the socket is not read.
                await release.WaitAsync(ct);
            }

            await inbox.Receive(message, ct);
        };
        await using (subscriber)
        {
            await subscriber.StartAsync(CancellationToken.None);
            await subscriber.WaitConnectedAsync(new CancellationTokenSource(Inbox.Patience).Token);
            await using var publisher = await TestClients.PublisherAsync(broker);
            const int count = 300;
            await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
                publisher.PublishAsync("load/x", new byte[8 * 1024], MqttQualityOfService.AtLeastOnce, false, CancellationToken.None)));

            // Blocked for more than twice the dead-peer limit (1.5 x keep-alive = 3 s).
            await Task.Delay(TimeSpan.FromSeconds(7));
            Assert.Equal(1, Volatile.Read(ref received));
            Assert.True(subscriber.IsConnected);
            Assert.DoesNotContain(events, e => !e.Connected);

            release.Release();
            var messages = await inbox.TakeAsync(count);
            subscriber.Acknowledge(messages.Select(m => m.AckToken).ToList());
            await Wait.UntilAsync(() => subscriber.Counters.AcksSent == count, Inbox.Patience, "all acknowledged");

            Assert.Equal(0, subscriber.Counters.Reconnects);
            Assert.DoesNotContain("slow-consumer disconnected", broker.ReadLog(), StringComparison.Ordinal);
            Assert.DoesNotContain("Client slow-consumer has exceeded timeout", broker.ReadLog(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Steady_qos0_publishing_to_a_quiet_broker_still_pings_and_is_not_a_dead_peer()
    {
        using var broker = MosquittoBroker.Start();
        var events = new System.Collections.Concurrent.ConcurrentQueue<MqttConnectionEvent>();
        var options = TestClients.Options(broker, "metrics-only");
        options.KeepAlive = TimeSpan.FromSeconds(2);
        var client = new MqttClient(options);
        client.ConnectionChanged += events.Enqueue;
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            await client.WaitConnectedAsync(new CancellationTokenSource(Inbox.Patience).Token);

            // Writes more often than the keep-alive, while the broker has nothing to send us (QoS 0 draws no answer):
            // only a PINGREQ sent because nothing was read keeps the dead-peer limit (1.5 x keep-alive = 3 s) away.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(8))
            {
                await client.PublishAsync("metrics/x", new byte[16], MqttQualityOfService.AtMostOnce, false, CancellationToken.None);
                await Task.Delay(TimeSpan.FromMilliseconds(250));
            }

            Assert.True(client.IsConnected);
            Assert.DoesNotContain(events, e => !e.Connected);
            Assert.Equal(0, client.Counters.Reconnects);
        }
    }

    [Fact]
    public async Task Silent_broker_is_detected_as_a_dead_peer_and_the_client_reconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var logger = new RecordingLogger<MqttClient>();
        var options = new MqttClientOptions
        {
            Port = port,
            ClientId = "lonely",
            KeepAlive = TimeSpan.FromSeconds(1),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        var client = new MqttClient(options, logger);
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            using var timeout = new CancellationTokenSource(Inbox.Patience);
            using var first = await listener.AcceptTcpClientAsync(timeout.Token);
            var stream = first.GetStream();
            await ReadSomeAsync(stream, timeout.Token);
            await stream.WriteAsync(new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 }, timeout.Token);

            // Never answer PINGREQ: after 1.5 x keep-alive of silence the client must give up and reconnect.
            var pingRequest = await ReadSomeAsync(stream, timeout.Token);
            using var second = await listener.AcceptTcpClientAsync(timeout.Token);

            Assert.Equal([0xC0, 0x00], pingRequest);
            Assert.Single(logger.Entries, l => l.Message.Contains("dead peer", StringComparison.Ordinal));
        }
    }

    private static async Task<byte[]> ReadSomeAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        return buffer[..read];
    }
}
