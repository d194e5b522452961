using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

public sealed class ReconnectAndWillTests
{
    [Fact]
    public async Task Broker_stop_and_start_reconnects_and_resubscribes_automatically()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        var events = new System.Collections.Concurrent.ConcurrentQueue<MqttConnectionEvent>();
        var options = TestClients.Options(broker, "survivor");
        // Clean start: the broker forgets the subscription, so receiving afterwards proves we subscribed again.
        options.CleanStart = true;
        options.Subscriptions = [new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce)];
        var client = new MqttClient(options);
        client.MessageReceived = inbox.Receive;
        client.ConnectionChanged += events.Enqueue;
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            await client.WaitConnectedAsync(new CancellationTokenSource(Inbox.Patience).Token);

            broker.Stop();
            await Wait.UntilAsync(() => events.Any(e => !e.Connected), Inbox.Patience, "disconnect event");
            Assert.False(client.IsConnected);
            await Wait.UntilAsync(() => client.Counters.ConnectFailures >= 1, Inbox.Patience, "a failed reconnect attempt while the broker is down");
            broker.StartAgain();
            await client.WaitConnectedAsync(new CancellationTokenSource(Inbox.Patience).Token);

            await using var publisher = await TestClients.PublisherAsync(broker);
            await publisher.PublishAsync("sensors/a", "after restart"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
            var message = await inbox.NextAsync();

            Assert.Equal("after restart", Encoding.UTF8.GetString(message.Payload.Span));
            Assert.Equal(1, client.Counters.Reconnects);
            Assert.Equal(2, events.Count(e => e.Connected));
            Assert.Equal(0, client.Counters.ProtocolErrors);
        }
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Will_is_published_when_the_socket_dies_without_disconnect(MqttProtocolVersion version)
    {
        using var broker = MosquittoBroker.Start();
        var watcherInbox = new Inbox();
        var watcherOptions = TestClients.Options(broker, "watcher");
        watcherOptions.Subscriptions = [new MqttSubscription("edgestore/+/state", MqttQualityOfService.AtLeastOnce)];
        await using var watcher = await TestClients.StartAsync(watcherOptions, watcherInbox);

        var options = TestClients.Options(broker, "gateway", version);
        options.Will = new MqttWillMessage { Topic = "edgestore/gw1/state", Payload = "offline"u8.ToArray(), Qos = MqttQualityOfService.AtLeastOnce, Retain = true };
        await using var gateway = await TestClients.StartAsync(options);

        gateway.DropConnection();
        var will = await watcherInbox.NextAsync();
        watcher.Acknowledge(will.AckToken);

        Assert.Equal("edgestore/gw1/state", will.Topic);
        Assert.Equal("offline", Encoding.UTF8.GetString(will.Payload.Span));
        Assert.Equal(MqttQualityOfService.AtLeastOnce, will.Qos);
    }

    [Fact]
    public async Task Stop_sends_disconnect_so_the_will_is_not_published()
    {
        using var broker = MosquittoBroker.Start();
        var options = TestClients.Options(broker, "polite");
        options.Will = new MqttWillMessage { Topic = "edgestore/polite/state", Payload = "offline"u8.ToArray(), Qos = MqttQualityOfService.AtLeastOnce, Retain = true };
        var gateway = await TestClients.StartAsync(options);
        await gateway.StopAsync(CancellationToken.None);
        await gateway.DisposeAsync();

        // The will would have been retained: a new subscriber finds the retained barrier only, never the will.
        await using var publisher = await TestClients.PublisherAsync(broker);
        await publisher.PublishAsync("edgestore/polite/marker", "m"u8.ToArray(), MqttQualityOfService.AtLeastOnce, retain: true, CancellationToken.None);
        var inbox = new Inbox();
        var watcherOptions = TestClients.Options(broker, "late-watcher");
        watcherOptions.Subscriptions = [new MqttSubscription("edgestore/polite/#", MqttQualityOfService.AtLeastOnce)];
        await using var watcher = await TestClients.StartAsync(watcherOptions, inbox);
        // Retained messages are sent right after SUBACK; our own later publish arrives after all of them.
        await watcher.PublishAsync("edgestore/polite/barrier", "b"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        var topics = new List<string>();
        while (topics.LastOrDefault() != "edgestore/polite/barrier")
        {
            topics.Add((await inbox.NextAsync()).Topic);
        }

        Assert.Equal(["edgestore/polite/marker", "edgestore/polite/barrier"], topics);
        await Wait.UntilAsync(() => broker.ReadLog().Contains("Client polite disconnected.", StringComparison.Ordinal), Inbox.Patience, "broker logged a normal disconnect");
    }

    [Fact]
    public async Task Connect_refused_by_the_broker_is_retried_with_a_clear_reason()
    {
        var port = FreePort.Next();
        using var broker = MosquittoBroker.Start(listenerConfig: $"listener {port} 127.0.0.1\nallow_anonymous false", port: port);
        var logger = new RecordingLogger<MqttClient>();
        var options = TestClients.Options(broker, "anonymous");
        var client = new MqttClient(options, logger);
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            await Wait.UntilAsync(() => client.Counters.ConnectFailures >= 2, Inbox.Patience, "two failed attempts");
            Assert.False(client.IsConnected);
        }

        Assert.True(logger.Count("Cannot connect to MQTT broker") >= 2, logger.ToString());
        Assert.True(logger.Count("broker refused the connection: not authorized (code 0x87)") >= 2, logger.ToString());
    }
}
