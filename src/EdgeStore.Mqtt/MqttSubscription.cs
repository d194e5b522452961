namespace EdgeStore.Mqtt;

/// <summary>A topic filter and the maximum QoS asked for it.</summary>
public sealed record MqttSubscription(string Filter, MqttQualityOfService Qos)
{
    /// <summary>MQTT 5 retain handling of this subscription; ignored (not encodable) under 3.1.1.</summary>
    public MqttRetainHandling RetainHandling { get; init; } = MqttRetainHandling.SendAtSubscribe;
}
