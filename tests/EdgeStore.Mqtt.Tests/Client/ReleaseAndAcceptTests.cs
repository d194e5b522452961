using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

/// <summary>What the host's redelivery ledger needs from the client: packet ids, PUBREL handed to the consumer with
/// PUBCOMP on its word, and a hook between CONNACK and the first inbound packet.</summary>
public sealed class ReleaseAndAcceptTests
{
    private static MqttClientOptions PersistentSubscriber(MosquittoBroker broker, string clientId, MqttProtocolVersion version)
    {
        var options = TestClients.Options(broker, clientId, version);
        options.CleanStart = false;
        options.SessionExpiryInterval = TimeSpan.FromHours(1);
        options.Subscriptions = [new MqttSubscription("sensors/#", MqttQualityOfService.ExactlyOnce)];
        return options;
    }

    private static async Task<T> NextAsync<T>(Channel<T> channel)
    {
        using var timeout = new CancellationTokenSource(Inbox.Patience);
        return await channel.Reader.ReadAsync(timeout.Token);
    }

    private static async Task ReconnectAsync(MqttClient client)
    {
        var generation = client.CurrentGeneration;
        client.DropConnection();
        await Wait.UntilAsync(() => client.IsConnected && client.CurrentGeneration > generation, Inbox.Patience, "reconnect after dropped connection");
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Pubrel_reaches_the_consumer_and_pubcomp_waits_for_its_acknowledgement_across_reconnects(MqttProtocolVersion version)
    {
        using var broker = MosquittoBroker.Start();
        var order = new ConcurrentQueue<string>();
        var messages = Channel.CreateUnbounded<MqttApplicationMessage>();
        var releases = Channel.CreateUnbounded<MqttAckToken>();
        var subscriber = new MqttClient(PersistentSubscriber(broker, $"releaser-{version}", version))
        {
            MessageReceived = (message, _) =>
            {
                order.Enqueue($"PUBLISH {message.PacketId} {Encoding.UTF8.GetString(message.Payload.Span)}");
                messages.Writer.TryWrite(message);
                return ValueTask.CompletedTask;
            },
            ReleaseReceived = (token, _) =>
            {
                order.Enqueue($"PUBREL {token.PacketId}");
                releases.Writer.TryWrite(token);
                return ValueTask.CompletedTask;
            },
        };
        await using (subscriber)
        {
            await subscriber.StartAsync(CancellationToken.None);
            using (var ready = new CancellationTokenSource(Inbox.Patience))
            {
                await subscriber.WaitConnectedAsync(ready.Token);
            }

            await using var publisher = await TestClients.PublisherAsync(broker);
            await publisher.PublishAsync("sensors/a", "one"u8.ToArray(), MqttQualityOfService.ExactlyOnce, false, CancellationToken.None);
            var message = await NextAsync(messages);
            Assert.NotEqual(0, message.PacketId);
            Assert.Equal(message.PacketId, message.AckToken.PacketId);
            Assert.False(message.AckToken.IsRelease);

            // PUBREC only on the consumer's word; then the broker's PUBREL comes to the consumer, not answered yet.
            subscriber.Acknowledge(message.AckToken);
            var release = await NextAsync(releases);
            Assert.True(release.IsRelease);
            Assert.Equal(message.PacketId, release.PacketId);
            Assert.Equal([$"PUBLISH {message.PacketId} one", $"PUBREL {message.PacketId}"], order);
            Assert.Equal(1, subscriber.InboundInflight);
            Assert.Equal(0, subscriber.Counters.ReleasesAcknowledged);

            // No PUBCOMP reached the broker, so after a reconnect it resends PUBREL for an id the new connection
            // never saw; the old connection's token is stale.
            await ReconnectAsync(subscriber);
            var resent = await NextAsync(releases);
            Assert.Equal(message.PacketId, resent.PacketId);
            Assert.NotEqual(release, resent);
            Assert.Equal(1, subscriber.InboundInflight);
            var staleBefore = subscriber.Counters.AcksDroppedStale;
            subscriber.Acknowledge(release);
            Assert.Equal(staleBefore + 1, subscriber.Counters.AcksDroppedStale);

            subscriber.Acknowledge(resent);
            await Wait.UntilAsync(() => subscriber.Counters.ReleasesAcknowledged == 1, Inbox.Patience, "PUBCOMP written");
            await TestClients.BarrierAsync(subscriber);
            Assert.Equal(0, subscriber.InboundInflight);

            // The broker got the PUBCOMP: after another reconnect nothing of the first message comes back, and the
            // next message is the first thing the consumer sees.
            await ReconnectAsync(subscriber);
            var seenBefore = order.Count;
            await publisher.PublishAsync("sensors/a", "two"u8.ToArray(), MqttQualityOfService.ExactlyOnce, false, CancellationToken.None);
            var second = await NextAsync(messages);
            Assert.Equal("two", Encoding.UTF8.GetString(second.Payload.Span));
            Assert.Equal($"PUBLISH {second.PacketId} two", order.ElementAt(seenBefore));
            Assert.False(releases.Reader.TryRead(out _));
        }
    }

    [Fact]
    public async Task Without_a_release_consumer_pubcomp_answers_pubrel_at_once()
    {
        using var broker = MosquittoBroker.Start();
        var inbox = new Inbox();
        await using var subscriber = await TestClients.StartAsync(PersistentSubscriber(broker, "auto-complete", MqttProtocolVersion.V500), inbox);
        await using var publisher = await TestClients.PublisherAsync(broker);

        await publisher.PublishAsync("sensors/a", "one"u8.ToArray(), MqttQualityOfService.ExactlyOnce, false, CancellationToken.None);
        var message = await inbox.NextAsync();
        subscriber.Acknowledge(message.AckToken);
        await Wait.UntilAsync(() => subscriber.InboundInflight == 0, Inbox.Patience, "PUBREL answered with PUBCOMP");
        await ReconnectAsync(subscriber);
        await publisher.PublishAsync("sensors/a", "two"u8.ToArray(), MqttQualityOfService.ExactlyOnce, false, CancellationToken.None);
        var second = await inbox.NextAsync();

        Assert.Equal("two", Encoding.UTF8.GetString(second.Payload.Span));
        Assert.Equal(0, subscriber.Counters.ReleasesAcknowledged);
        Assert.Equal(0, subscriber.Counters.AcksDroppedStale);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Connection_accepted_runs_before_any_queued_message_is_delivered(MqttProtocolVersion version)
    {
        using var broker = MosquittoBroker.Start();
        var options = PersistentSubscriber(broker, $"accepting-{version}", version);
        options.Subscriptions = [new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce)];
        var order = new ConcurrentQueue<string>();
        var events = new ConcurrentQueue<MqttConnectionEvent>();
        var inbox = new Inbox();

        // A first connection creates the session; then messages queue for it while it is away.
        await (await TestClients.StartAsync(options)).DisposeAsync();
        await using (var publisher = await TestClients.PublisherAsync(broker))
        {
            for (var i = 0; i < 5; i++)
            {
                await publisher.PublishAsync("sensors/q", Encoding.UTF8.GetBytes($"{i}"), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
            }
        }

        var subscriber = new MqttClient(options)
        {
            ConnectionAccepted = async (accepted, ct) =>
            {
                events.Enqueue(accepted);
                order.Enqueue("accepted start");
                await Task.Delay(300, ct);
                order.Enqueue("accepted end");
            },
            MessageReceived = async (message, ct) =>
            {
                order.Enqueue("message");
                await inbox.Receive(message, ct);
            },
        };
        await using (subscriber)
        {
            await subscriber.StartAsync(CancellationToken.None);
            var received = await inbox.TakeAsync(5);

            Assert.Equal(["accepted start", "accepted end", "message", "message", "message", "message", "message"], order);
            var accepted = Assert.Single(events);
            Assert.True(accepted.Connected);
            Assert.True(accepted.SessionPresent);
            Assert.Equal(version, accepted.ProtocolVersion);
            Assert.All(received, m => Assert.True(m.PacketId != 0));
        }
    }

    [Fact]
    public async Task A_failing_connection_accepted_hook_is_logged_and_the_client_connects_again()
    {
        using var broker = MosquittoBroker.Start();
        var options = PersistentSubscriber(broker, "accept-fails", MqttProtocolVersion.V500);
        var logger = new RecordingLogger<MqttClient>();
        var calls = 0;
        var sessionFlags = new ConcurrentQueue<bool>();
        var subscriber = new MqttClient(options, logger)
        {
            ConnectionAccepted = (accepted, _) =>
            {
                sessionFlags.Enqueue(accepted.SessionPresent);
                return Interlocked.Increment(ref calls) == 1
                    ? throw new InvalidOperationException("ledger not open yet")
                    : ValueTask.CompletedTask;
            },
        };
        await using (subscriber)
        {
            await subscriber.StartAsync(CancellationToken.None);
            using var ready = new CancellationTokenSource(Inbox.Patience);
            await subscriber.WaitConnectedAsync(ready.Token);

            Assert.Equal(2, calls);
            Assert.Equal(1, subscriber.Counters.ConnectFailures);
            var error = Assert.Single(logger.Entries, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Error);
            Assert.Contains("ConnectionAccepted handler failed", error.Message, StringComparison.Ordinal);
            Assert.Contains(logger.Entries, l => l.Message.Contains("ledger not open yet", StringComparison.Ordinal));

            // The first connection did reach the broker (the session exists now), and was closed, not kept.
            Assert.Equal([false, true], sessionFlags);
        }
    }
}
