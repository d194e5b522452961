using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using EdgeStore.Mqtt;
using EdgeStore.Testing;

namespace EdgeStore.Tests.RemoteTuning;

/// <summary>
/// An operator's (or an intruder's) MQTT client for EdgeStore's control topics: subscribes to `edgestore/#`, keeps
/// every message it receives, and publishes desired documents. Uses EdgeStore's own client library over a real socket.
/// </summary>
internal sealed class ControlTopicClient : IAsyncDisposable
{
    private readonly MqttClient _client;
    private readonly ConcurrentQueue<(string Topic, byte[] Payload, bool Retain)> _received = new();

    private ControlTopicClient(MqttClient client) => _client = client;

    public static async Task<ControlTopicClient> ConnectAsync(int port, string clientId, string? username = null, string? password = null, string filter = "edgestore/#")
    {
        var options = new MqttClientOptions
        {
            Port = port,
            ClientId = clientId,
            CleanStart = true,
            SessionExpiryInterval = TimeSpan.Zero,
            Username = username,
            Password = password,
            MaximumPacketSize = 4 * 1024 * 1024,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(200),
            ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        };
        options.Subscriptions.Add(new MqttSubscription(filter, MqttQualityOfService.AtLeastOnce));
        var client = new MqttClient(options);
        var wrapper = new ControlTopicClient(client);
        client.MessageReceived = (message, _) =>
        {
            wrapper._received.Enqueue((message.Topic, message.Payload.ToArray(), message.Retain));
            client.Acknowledge(message.AckToken);
            return ValueTask.CompletedTask;
        };
        await client.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await client.WaitConnectedAsync(timeout.Token);
        return wrapper;
    }

    public IEnumerable<(string Topic, string Text, bool Retain)> Received => _received.Select(m => (m.Topic, Encoding.UTF8.GetString(m.Payload), m.Retain));

    public Task PublishAsync(string topic, string payload, bool retain = false) => PublishAsync(topic, Encoding.UTF8.GetBytes(payload), retain);

    public async Task PublishAsync(string topic, byte[] payload, bool retain = false)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _client.PublishAsync(topic, payload, MqttQualityOfService.AtLeastOnce, retain, timeout.Token);
    }

    /// <summary>Waits for a JSON message on <paramref name="topic"/> that satisfies <paramref name="match"/>; fails with what arrived.</summary>
    public async Task<JsonObject> WaitForJsonAsync(string topic, Func<JsonObject, bool> match, TimeSpan timeout)
    {
        JsonObject? Find() => _received.Where(m => m.Topic == topic).Select(m => TryParse(m.Payload)).FirstOrDefault(json => json is not null && match(json));
        try
        {
            return (await Wait.ForAsync(Find, found => found is not null, timeout, $"a matching message on {topic}"))!;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; received:\n" +
                string.Join('\n', Received.Where(m => m.Topic == topic).Select(m => m.Text.Length > 600 ? m.Text[..600] + "..." : m.Text)), e);
        }
    }

    /// <summary>Waits for a message with exactly <paramref name="text"/> on <paramref name="topic"/>; returns whether it was retained.</summary>
    public async Task<bool> WaitForTextAsync(string topic, string text, TimeSpan timeout)
    {
        var found = await Wait.ForAsync(
            () => Received.Where(m => m.Topic == topic).Select(m => (m.Text, m.Retain)).ToList(),
            messages => messages.Any(m => m.Text == text),
            timeout,
            $"'{text}' on {topic} (the messages on it so far)");
        return found.First(m => m.Text == text).Retain;
    }

    /// <summary>Waits for the report answering desired <paramref name="version"/> with <paramref name="status"/>.</summary>
    public Task<JsonObject> WaitForReportAsync(string node, long? version, string status, TimeSpan timeout) =>
        WaitForJsonAsync($"edgestore/{node}/config/reported", r => (long?)r["version"] == version && (string?)r["status"] == status, timeout);

    public void Clear() => _received.Clear();

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _client.StopAsync(timeout.Token);
        }
        catch (Exception e) when (e is MqttException or OperationCanceledException or IOException)
        {
        }

        await _client.DisposeAsync();
    }

    private static JsonObject? TryParse(byte[] payload)
    {
        try
        {
            return JsonNode.Parse(payload) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
