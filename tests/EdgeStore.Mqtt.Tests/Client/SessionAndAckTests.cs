using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

public sealed class SessionAndAckTests
{
    private static MqttClientOptions PersistentSubscriber(MosquittoBroker broker, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var options = TestClients.Options(broker, clientId, version);
        options.CleanStart = false;
        options.SessionExpiryInterval = TimeSpan.FromHours(1);
        options.Subscriptions = [new MqttSubscription("sensors/#", MqttQualityOfService.ExactlyOnce)];
        return options;
    }

    private static async Task PublishNumberedAsync(MqttClient publisher, int count, MqttQualityOfService qos, int start = 0)
    {
        await Task.WhenAll(Enumerable.Range(start, count).Select(i =>
            publisher.PublishAsync($"sensors/d/{i}", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), qos, false, CancellationToken.None)));
    }

    private static int Number(MqttApplicationMessage message) => int.Parse(Encoding.UTF8.GetString(message.Payload.Span), System.Globalization.CultureInfo.InvariantCulture);

    private static async Task ReconnectAsync(MqttClient client)
    {
        var generation = client.CurrentGeneration;
        client.DropConnection();
        await Wait.UntilAsync(() => client.IsConnected && client.CurrentGeneration > generation, Inbox.Patience, "reconnect after dropped connection");
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Delayed_batched_acks_are_sent_and_only_unacknowledged_messages_come_back(MqttProtocolVersion version)
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        await using var subscriber = await TestClients.StartAsync(PersistentSubscriber(broker, $"batched-{version}", version), inbox);
        await using var publisher = await TestClients.PublisherAsync(broker);

        await PublishNumberedAsync(publisher, 10, MqttQualityOfService.AtLeastOnce);
        var received = await inbox.TakeAsync(10);
        Assert.Equal(10, subscriber.InboundInflight);

        // Nothing is acknowledged by the client itself, however long we wait: the acks are the consumer's to give.
        await TestClients.BarrierAsync(subscriber);
        Assert.Equal(0, subscriber.Counters.AcksSent);

        // One batch for the even numbers, later a second batch for 1 and 3; 5, 7, 9 never.
        subscriber.Acknowledge(received.Where(m => Number(m) % 2 == 0).Select(m => m.AckToken).ToList());
        subscriber.Acknowledge(received.Where(m => Number(m) is 1 or 3).Select(m => m.AckToken).ToList());
        await Wait.UntilAsync(() => subscriber.Counters.AcksSent == 7, Inbox.Patience, "7 acks written");
        await TestClients.BarrierAsync(subscriber);
        Assert.Equal(3, subscriber.InboundInflight);

        await ReconnectAsync(subscriber);
        var redelivered = await inbox.TakeAsync(3);

        Assert.Equal([5, 7, 9], redelivered.Select(Number).Order());
        Assert.All(redelivered, m => Assert.True(m.Duplicate));
        subscriber.Acknowledge(redelivered.Select(m => m.AckToken).ToList());
        await Wait.UntilAsync(() => subscriber.Counters.AcksSent == 10, Inbox.Patience, "redelivered messages acknowledged");

        // Acknowledged on the new connection: another drop brings nothing back; a fresh message proves the flow.
        await TestClients.BarrierAsync(subscriber);
        await ReconnectAsync(subscriber);
        await PublishNumberedAsync(publisher, 1, MqttQualityOfService.AtLeastOnce, start: 100);
        var next = await inbox.NextAsync();
        Assert.Equal(100, Number(next));
        Assert.False(next.Duplicate);
    }

    [Fact]
    public async Task Persistent_session_redelivers_every_unacknowledged_qos1_and_qos2_message_with_dup()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        await using var subscriber = await TestClients.StartAsync(PersistentSubscriber(broker, "persistent"), inbox);
        await using var publisher = await TestClients.PublisherAsync(broker);

        await PublishNumberedAsync(publisher, 100, MqttQualityOfService.AtLeastOnce);
        await PublishNumberedAsync(publisher, 20, MqttQualityOfService.ExactlyOnce, start: 100);
        var firstDelivery = await inbox.TakeAsync(120);
        Assert.All(firstDelivery, m => Assert.False(m.Duplicate));

        await ReconnectAsync(subscriber);
        var redelivered = await inbox.TakeAsync(120);

        Assert.Equal(Enumerable.Range(0, 120), redelivered.Select(Number).Order());
        Assert.All(redelivered, m => Assert.True(m.Duplicate));
        Assert.All(redelivered.Where(m => Number(m) >= 100), m => Assert.Equal(MqttQualityOfService.ExactlyOnce, m.Qos));

        // Now acknowledge everything; QoS 2 completes with PUBREL/PUBCOMP, and nothing remains in flight.
        subscriber.Acknowledge(redelivered.Select(m => m.AckToken).ToList());
        await Wait.UntilAsync(() => subscriber.InboundInflight == 0, Inbox.Patience, "all 120 acknowledged and QoS 2 completed");
        await TestClients.BarrierAsync(subscriber);
        await ReconnectAsync(subscriber);
        await PublishNumberedAsync(publisher, 1, MqttQualityOfService.AtLeastOnce, start: 500);
        Assert.Equal(500, Number(await inbox.NextAsync()));
    }

    [Fact]
    public async Task Stale_ack_from_a_dead_connection_is_dropped_and_never_sent_on_the_new_one()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        await using var subscriber = await TestClients.StartAsync(PersistentSubscriber(broker, "stale"), inbox);
        await using var publisher = await TestClients.PublisherAsync(broker);
        await PublishNumberedAsync(publisher, 3, MqttQualityOfService.AtLeastOnce);
        var old = await inbox.TakeAsync(3);

        await ReconnectAsync(subscriber);
        var fresh = await inbox.TakeAsync(3);
        // The broker may reuse the same packet ids on the new connection: only the generation tells them apart.
        subscriber.Acknowledge(old.Select(m => m.AckToken).ToList());

        Assert.Equal(3, subscriber.Counters.AcksDroppedStale);
        Assert.Equal(0, subscriber.Counters.AcksSent);
        Assert.Equal(3, subscriber.InboundInflight);
        Assert.All(fresh.Zip(old), pair => Assert.NotEqual(pair.First.AckToken, pair.Second.AckToken));

        // The broker still holds all three as unacknowledged: another reconnect redelivers them again.
        await TestClients.BarrierAsync(subscriber);
        await ReconnectAsync(subscriber);
        var again = await inbox.TakeAsync(3);
        Assert.Equal([0, 1, 2], again.Select(Number).Order());
        Assert.All(again, m => Assert.True(m.Duplicate));
    }

    [Fact]
    public async Task Repeated_ack_of_the_same_token_is_sent_once()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        await using var subscriber = await TestClients.StartAsync(PersistentSubscriber(broker, "twice"), inbox);
        await using var publisher = await TestClients.PublisherAsync(broker);
        await PublishNumberedAsync(publisher, 1, MqttQualityOfService.AtLeastOnce);
        var message = await inbox.NextAsync();

        subscriber.Acknowledge(message.AckToken);
        subscriber.Acknowledge(message.AckToken);
        await Wait.UntilAsync(() => subscriber.Counters.AcksSent + subscriber.Counters.AcksDroppedStale == 2, Inbox.Patience, "both acks processed");

        Assert.Equal(1, subscriber.Counters.AcksSent);
        Assert.Equal(1, subscriber.Counters.AcksDroppedStale);
        Assert.Equal(0, subscriber.Counters.ProtocolErrors);
    }

    [Fact]
    public async Task Stop_flushes_pending_acks_before_disconnect()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        var options = PersistentSubscriber(broker, "stop-flush");
        await using (var subscriber = await TestClients.StartAsync(options, inbox))
        {
            await using var publisher = await TestClients.PublisherAsync(broker);
            await PublishNumberedAsync(publisher, 50, MqttQualityOfService.AtLeastOnce);
            var received = await inbox.TakeAsync(50);
            subscriber.Acknowledge(received.Select(m => m.AckToken).ToList());
            await subscriber.StopAsync(CancellationToken.None);
            Assert.Equal(50, subscriber.Counters.AcksSent);
        }

        await Wait.UntilAsync(() => broker.ReadLog().Contains("Client stop-flush disconnected.", StringComparison.Ordinal), Inbox.Patience, "broker logged a normal disconnect");

        // Same session again: nothing was left unacknowledged, so nothing is redelivered before a fresh message.
        var second = new Inbox();
        await using var again = await TestClients.StartAsync(options, second);
        await using var publisher2 = await TestClients.PublisherAsync(broker, "publisher-2");
        await PublishNumberedAsync(publisher2, 1, MqttQualityOfService.AtLeastOnce, start: 77);
        var first = await second.NextAsync();
        Assert.Equal(77, Number(first));
    }
}
