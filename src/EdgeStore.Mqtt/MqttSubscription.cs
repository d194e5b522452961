namespace EdgeStore.Mqtt;

/// <summary>A topic filter and the maximum QoS asked for it.</summary>
public sealed record MqttSubscription(string Filter, MqttQualityOfService Qos);
