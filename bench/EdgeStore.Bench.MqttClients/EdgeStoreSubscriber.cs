using EdgeStore.Mqtt;

namespace EdgeStore.Bench.MqttClients;

/// <summary>EdgeStore.Mqtt as the subscriber: the handler runs on the receive loop, so while it waits the socket is
/// not read.</summary>
internal sealed class EdgeStoreSubscriber : SubscriberClient
{
    private MqttClient? _client;

    public override async Task StartAsync(int port, MqttQualityOfService qos, Func<int, ValueTask> onMessage, CancellationToken ct)
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Port = port,
            ClientId = "bench-edgestore",
            CleanStart = true,
            Subscriptions = [new MqttSubscription(Filter, qos)],
        });
        client.MessageReceived = async (message, _) =>
        {
            await onMessage(message.Payload.Length);
            client.Acknowledge(message.AckToken);
        };
        _client = client;
        await client.StartAsync(ct);
        await client.WaitConnectedAsync(ct);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _client.StopAsync(stop.Token);
            await _client.DisposeAsync();
        }
    }
}
