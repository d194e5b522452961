using System.Diagnostics;
using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

public sealed class ConnectAndReceiveTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Connects_and_reports_the_session_present_flag(MqttProtocolVersion version)
    {
        using var broker = MosquittoBroker.Start();
        var events = new List<MqttConnectionEvent>();
        var options = TestClients.Options(broker, $"connect-{version}", version);
        options.Subscriptions = [new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce)];

        await using (var first = new MqttClient(options))
        {
            first.ConnectionChanged += e => { lock (events) { events.Add(e); } };
            await first.StartAsync(CancellationToken.None);
            await first.WaitConnectedAsync(new CancellationTokenSource(Inbox.Patience).Token);
            Assert.True(first.IsConnected);
            await first.StopAsync(CancellationToken.None);
            Assert.False(first.IsConnected);
        }

        // Clean start off and a session expiry: the broker kept the session, and says so.
        await using var second = await TestClients.StartAsync(options);
        Assert.True(second.IsConnected);
        lock (events)
        {
            Assert.True(events[0].Connected);
            Assert.False(events[0].SessionPresent);
        }

        Assert.Contains($"New client connected from 127.0.0.1", broker.ReadLog(), StringComparison.Ordinal);
        Assert.Contains($"as connect-{version}", broker.ReadLog(), StringComparison.Ordinal);
        Assert.Contains(version == MqttProtocolVersion.V500 ? "(p5," : "(p2,", broker.ReadLog(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.ExactlyOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce)]
    public async Task Receives_every_message_at_the_subscribed_qos_in_order(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        var options = TestClients.Options(broker, "subscriber", version);
        options.Subscriptions = [new MqttSubscription("sensors/#", qos)];
        await using var subscriber = await TestClients.StartAsync(options, inbox);
        await using var publisher = await TestClients.PublisherAsync(broker);

        const int count = 50;
        var publishes = Enumerable.Range(0, count)
            .Select(i => publisher.PublishAsync($"sensors/dev-{i % 5}/telemetry", Encoding.UTF8.GetBytes($"m{i}"), qos, false, CancellationToken.None));
        await Task.WhenAll(publishes);
        var received = await inbox.TakeAsync(count);
        subscriber.Acknowledge(received.Select(m => m.AckToken).ToList());

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"m{i}"), received.Select(m => Encoding.UTF8.GetString(m.Payload.Span)));
        Assert.All(received, m => Assert.Equal(qos, m.Qos));
        Assert.All(received, m => Assert.Equal(qos != MqttQualityOfService.AtMostOnce, m.AckToken.RequiresAck));
        Assert.All(received, m => Assert.False(m.Duplicate));
        Assert.Equal("sensors/dev-3/telemetry", received[3].Topic);
        Assert.Equal(count, publisher.Counters.MessagesPublished);
        var expectedAcks = qos == MqttQualityOfService.AtMostOnce ? 0 : count;
        await Wait.UntilAsync(() => subscriber.Counters.AcksSent == expectedAcks, Inbox.Patience, $"{expectedAcks} acks sent");
        await Wait.UntilAsync(() => subscriber.InboundInflight == 0, Inbox.Patience, "inbound flow drained (PUBACK / PUBREL-PUBCOMP done)");
        Assert.Equal(0, subscriber.Counters.AcksDroppedStale);
        Assert.Equal(0, subscriber.Counters.ProtocolErrors);
    }

    [Fact]
    public async Task Mqtt5_properties_from_mosquitto_pub_reach_the_consumer()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        var options = TestClients.Options(broker, "props");
        options.Subscriptions = [new MqttSubscription("props/#", MqttQualityOfService.AtLeastOnce)];
        await using var subscriber = await TestClients.StartAsync(options, inbox);

        var info = new ProcessStartInfo("mosquitto_pub")
        {
            ArgumentList =
            {
                "-h", "127.0.0.1", "-p", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-V", "mqttv5",
                "-q", "1", "-t", "props/x", "-m", "héllo",
                "-D", "publish", "user-property", "site", "north",
                "-D", "publish", "user-property", "site", "south",
                "-D", "publish", "content-type", "text/plain",
                "-D", "publish", "payload-format-indicator", "1",
            },
        };
        using (var process = Process.Start(info)!)
        {
            await process.WaitForExitAsync(new CancellationTokenSource(Inbox.Patience).Token);
            Assert.Equal(0, process.ExitCode);
        }

        var message = await inbox.NextAsync();
        subscriber.Acknowledge(message.AckToken);

        Assert.Equal("props/x", message.Topic);
        Assert.Equal("héllo", Encoding.UTF8.GetString(message.Payload.Span));
        Assert.Equal("text/plain", message.ContentType);
        Assert.Equal((byte)1, message.PayloadFormatIndicator);
        Assert.Equal([new MqttUserProperty("site", "north"), new MqttUserProperty("site", "south")], message.UserProperties);
    }

    [Fact]
    public async Task Our_receive_maximum_is_announced_and_a_broker_exceeding_it_is_a_protocol_error()
    {
        using var broker = MosquittoBroker.Start("log_type all");
        var inbox = new Inbox();
        var logger = new RecordingLogger<MqttClient>();
        var options = TestClients.Options(broker, "small-window");
        options.ReceiveMaximum = 5;
        options.CleanStart = true;
        options.Subscriptions = [new MqttSubscription("w/#", MqttQualityOfService.AtLeastOnce)];
        await using var subscriber = await TestClients.StartAsync(options, inbox, logger);
        await using var publisher = await TestClients.PublisherAsync(broker);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => publisher.PublishAsync("w/x", new[] { (byte)i }, MqttQualityOfService.AtLeastOnce, false, CancellationToken.None)));
        var firstWindow = await inbox.TakeAsync(5);
        Assert.Equal(5, subscriber.InboundInflight);

        // Mosquitto 2.0.11 honours the announced window only until the first PUBACK, then sends beyond it.
        subscriber.Acknowledge(firstWindow.Select(m => m.AckToken).ToList());
        await Wait.UntilAsync(() => subscriber.Counters.ProtocolErrors >= 1, Inbox.Patience, "protocol error for exceeding receive maximum");

        // How far past the window the broker goes depends on timing; each such close is one clear log line.
        var errorLines = logger.Entries.Where(l => l.Message.Contains("protocol error", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(errorLines);
        Assert.All(errorLines, l => Assert.Contains("unacknowledged QoS 1/2 messages, more than our receive maximum of 5", l.Message, StringComparison.Ordinal));
        await Wait.UntilAsync(() => broker.ReadLog().Contains("Received DISCONNECT from small-window", StringComparison.Ordinal), Inbox.Patience, "DISCONNECT (0x93) reached the broker");
    }

    [Fact]
    public async Task A_broker_exceeding_receive_maximum_can_be_tolerated_and_counted()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        var logger = new RecordingLogger<MqttClient>();
        var options = TestClients.Options(broker, "tolerant-window");
        options.ReceiveMaximum = 5;
        options.DisconnectOnReceiveMaximumExceeded = false;
        options.Subscriptions = [new MqttSubscription("w/#", MqttQualityOfService.AtLeastOnce)];
        await using var subscriber = await TestClients.StartAsync(options, inbox, logger);
        await using var publisher = await TestClients.PublisherAsync(broker);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => publisher.PublishAsync("w/x", new[] { (byte)i }, MqttQualityOfService.AtLeastOnce, false, CancellationToken.None)));
        var received = new List<MqttApplicationMessage>();
        while (received.Count < 20)
        {
            var next = await inbox.NextAsync();
            received.Add(next);
            subscriber.Acknowledge(next.AckToken);
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => (byte)i), received.Select(m => m.Payload.Span[0]));
        Assert.Equal(0, subscriber.Counters.ProtocolErrors);
        Assert.Equal(0, subscriber.Counters.Reconnects);
        Assert.True(subscriber.Counters.ReceiveMaximumExceeded > 0);
        Assert.Equal(1, logger.Count("more than our receive maximum of 5; tolerated"));
    }

    [Fact]
    public async Task Subscribe_and_unsubscribe_at_run_time()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        await using var client = await TestClients.StartAsync(TestClients.Options(broker, "dynamic"), inbox);

        await client.SubscribeAsync([new MqttSubscription("dyn/#", MqttQualityOfService.AtMostOnce)], CancellationToken.None);
        await client.PublishAsync("dyn/a", "1"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        var first = await inbox.NextAsync();
        await client.UnsubscribeAsync(["dyn/#"], CancellationToken.None);
        await client.PublishAsync("dyn/a", "2"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        await client.SubscribeAsync([new MqttSubscription("other/#", MqttQualityOfService.AtMostOnce)], CancellationToken.None);
        await client.PublishAsync("other/b", "3"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        var second = await inbox.NextAsync();

        Assert.Equal("dyn/a", first.Topic);
        Assert.Equal("other/b", second.Topic);
        Assert.Equal("3", Encoding.UTF8.GetString(second.Payload.Span));
    }

    [Fact]
    public async Task Retained_flag_is_published_and_received()
    {
        using var broker = MosquittoBroker.Start();
        await using (var publisher = await TestClients.PublisherAsync(broker))
        {
            await publisher.PublishAsync("state/gw", "online"u8.ToArray(), MqttQualityOfService.AtLeastOnce, retain: true, CancellationToken.None);
        }

        var inbox = new Inbox();
        var options = TestClients.Options(broker, "late", MqttProtocolVersion.V311);
        options.Subscriptions = [new MqttSubscription("state/#", MqttQualityOfService.AtLeastOnce)];
        await using var subscriber = await TestClients.StartAsync(options, inbox);
        var message = await inbox.NextAsync();

        Assert.True(message.Retain);
        Assert.Equal("online", Encoding.UTF8.GetString(message.Payload.Span));
    }

    [Fact]
    public async Task Publish_when_not_connected_throws()
    {
        var client = new MqttClient(new MqttClientOptions { ClientId = "never", Port = FreePort.Next() });
        await using (client)
        {
            await Assert.ThrowsAsync<MqttException>(() => client.PublishAsync("a", "x"u8.ToArray(), MqttQualityOfService.AtMostOnce, false, CancellationToken.None));
        }
    }
}
