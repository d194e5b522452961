namespace EdgeStore.Mqtt;

/// <summary>An MQTT 5 user property: a name/value pair passed through unchanged.</summary>
public sealed record MqttUserProperty(string Name, string Value);
