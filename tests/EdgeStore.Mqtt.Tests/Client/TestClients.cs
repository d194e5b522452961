using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

/// <summary>Builds clients pointed at a test broker, with settings that keep tests fast on a loaded machine.</summary>
internal static class TestClients
{
    public static MqttClientOptions Options(MosquittoBroker broker, string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500) => new()
    {
        Host = "127.0.0.1",
        Port = broker.Port,
        ClientId = clientId,
        ProtocolVersion = version,
        KeepAlive = TimeSpan.FromSeconds(30),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(100),
        ReconnectMaxDelay = TimeSpan.FromSeconds(1),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    public static async Task<MqttClient> StartAsync(MqttClientOptions options, Inbox? inbox = null, RecordingLogger<MqttClient>? logger = null)
    {
        var client = new MqttClient(options, logger);
        if (inbox is not null)
        {
            client.MessageReceived = inbox.Receive;
        }

        await client.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(Inbox.Patience);
        await client.WaitConnectedAsync(timeout.Token);
        return client;
    }

    /// <summary>A publisher on the same broker (our own client, MQTT 5).</summary>
    public static Task<MqttClient> PublisherAsync(MosquittoBroker broker, string clientId = "publisher") =>
        StartAsync(Options(broker, clientId));

    /// <summary>Waits until the broker processed everything this client sent before: a QoS 1 round trip on the same
    /// connection (the broker handles one client's packets in order).</summary>
    public static Task BarrierAsync(MqttClient client) =>
        client.PublishAsync("edgestore-test/barrier", "b"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
}
