using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

public sealed class SubscriptionTests
{
    [Theory]
    [InlineData(MqttRetainHandling.SendIfNewSubscription, 1)]
    [InlineData(MqttRetainHandling.SendAtSubscribe, 2)]
    public async Task Retain_handling_decides_whether_resubscribing_a_persistent_session_brings_the_retained_message_again(
        MqttRetainHandling handling, int expectedRetainedDeliveries)
    {
        using var broker = MosquittoBroker.Start();
        await using var publisher = await TestClients.PublisherAsync(broker);
        await publisher.PublishAsync("sensors/config", "retained"u8.ToArray(), MqttQualityOfService.AtLeastOnce, true, CancellationToken.None);
        var options = TestClients.Options(broker, $"retain-{handling}");
        options.SessionExpiryInterval = TimeSpan.FromHours(1);
        options.Subscriptions = [new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce) { RetainHandling = handling }];
        var inbox = new Inbox();
        await using var subscriber = await TestClients.StartAsync(options, inbox);

        var first = await inbox.NextAsync();
        Assert.True(first.Retain);
        subscriber.Acknowledge(first.AckToken);
        await TestClients.BarrierAsync(subscriber);

        // Reconnect to the kept session; the client subscribes again. A marker published afterwards is queued behind
        // whatever the broker sent for that SUBSCRIBE, so it bounds what the resubscription brought.
        var generation = subscriber.CurrentGeneration;
        subscriber.DropConnection();
        await Eventually.HoldsAsync(() => subscriber.IsConnected && subscriber.CurrentGeneration > generation, "reconnect");
        await publisher.PublishAsync("sensors/marker", "marker"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        var afterReconnect = new List<MqttApplicationMessage>();
        while (afterReconnect.Count == 0 || afterReconnect[^1].Topic != "sensors/marker")
        {
            var message = await inbox.NextAsync();
            subscriber.Acknowledge(message.AckToken);
            afterReconnect.Add(message);
        }

        var retained = afterReconnect.Count(m => Encoding.UTF8.GetString(m.Payload.Span) == "retained");
        Assert.Equal(expectedRetainedDeliveries, 1 + retained);
        Assert.True(subscriber.Counters.Reconnects >= 1);
    }
}
