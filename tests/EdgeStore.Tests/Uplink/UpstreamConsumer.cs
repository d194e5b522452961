using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using EdgeStore.Testing;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStore.Tests.Uplink;

/// <summary>One message as the fleet's consumer sees it on the upstream broker; <paramref name="ArrivedAt"/> is when it arrived there.</summary>
public sealed record ForwardedMessage(string Topic, byte[] Payload, string? Node, long? Id, long? ReceivedAtMs, DateTimeOffset ArrivedAt);

/// <summary>
/// The fleet's side of the uplink: an MQTTnet subscriber on the upstream broker (QoS 1), recording every message with
/// the user properties EdgeStore puts on it. With a persistent session (clean start off, an hour of session expiry) the
/// broker keeps its subscription and queues for it while it is away, across a broker restart (the fixture persists).
/// </summary>
public sealed class UpstreamConsumer : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly ConcurrentQueue<ForwardedMessage> _received = new();

    private UpstreamConsumer(IMqttClient client)
    {
        _client = client;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var message = e.ApplicationMessage;
            string? Property(string name) => message.UserProperties?.FirstOrDefault(p => p.Name == name)?.ValueBuffer is { } value ? Encoding.UTF8.GetString(value.Span) : null;
            _received.Enqueue(new ForwardedMessage(
                message.Topic,
                System.Buffers.BuffersExtensions.ToArray(message.Payload),
                Property("edgestore-node"),
                Property("edgestore-id") is { } id ? long.Parse(id, CultureInfo.InvariantCulture) : null,
                Property("edgestore-received-ms") is { } ms ? long.Parse(ms, CultureInfo.InvariantCulture) : null,
                DateTimeOffset.UtcNow));
            return Task.CompletedTask;
        };
    }

    public IReadOnlyCollection<ForwardedMessage> Received => [.. _received];

    public int Count => _received.Count;

    public static async Task<UpstreamConsumer> ConnectAsync(int port, string clientId, string filter = "gateways/#", bool persistentSession = false)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var consumer = new UpstreamConsumer(client);
        await consumer.ConnectAsync(port, clientId, persistentSession);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return consumer;
    }

    /// <summary>Connects again after <see cref="DisconnectAsync"/>, resuming a persistent session.</summary>
    public Task ReconnectAsync(int port, string clientId) => ConnectAsync(port, clientId, persistentSession: true);

    public async Task DisconnectAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync();
        }
    }

    /// <summary>Waits until messages with every id in <paramref name="ids"/> have arrived (bounded).</summary>
    public Task WaitForIdsAsync(IReadOnlyCollection<long> ids, TimeSpan timeout) =>
        Wait.UntilAsync(() => ids.All(new HashSet<long>(_received.Select(m => m.Id ?? -1)).Contains), timeout, $"{ids.Count} forwarded rows at the upstream consumer (have {DistinctIds()} distinct ids)");

    public int DistinctIds() => _received.Select(m => m.Id).Distinct().Count();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DisconnectAsync();
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
        {
        }

        _client.Dispose();
    }

    private Task ConnectAsync(int port, string clientId, bool persistentSession) =>
        _client.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId(clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithCleanStart(!persistentSession)
            .WithSessionExpiryInterval(persistentSession ? 3600u : 0u)
            .Build());

    /// <summary>The payload as text, for messages in assertions.</summary>
    public static string Text(ForwardedMessage message) => Encoding.UTF8.GetString(message.Payload);
}
