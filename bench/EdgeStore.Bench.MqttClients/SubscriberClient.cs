using EdgeStore.Mqtt;

namespace EdgeStore.Bench.MqttClients;

/// <summary>
/// One of the two clients under comparison, subscribed to <c>bench/#</c> the same way: MQTT 5, clean start, one
/// subscription at the given QoS, the handler awaited for each message in arrival order, and a QoS 1 message
/// acknowledged once its handler has returned.
/// </summary>
internal abstract class SubscriberClient : IAsyncDisposable
{
    public const string Filter = "bench/#";

    public static SubscriberClient Create(string name) => name switch
    {
        "edgestore" => new EdgeStoreSubscriber(),
        "mqttnet" => new MqttNetSubscriber(),
        _ => throw new ArgumentException($"unknown client '{name}' (edgestore or mqttnet)", nameof(name)),
    };

    /// <summary>Connects and subscribes; completes once the subscription is granted. <paramref name="onMessage"/> gets
    /// the payload length.</summary>
    public abstract Task StartAsync(int port, MqttQualityOfService qos, Func<int, ValueTask> onMessage, CancellationToken ct);

    public abstract ValueTask DisposeAsync();
}
