namespace EdgeStore.Mqtt;

/// <summary>The message the broker publishes for us when the connection ends without DISCONNECT.</summary>
public sealed class MqttWillMessage
{
    public required string Topic { get; init; }

    public ReadOnlyMemory<byte> Payload { get; init; }

    public MqttQualityOfService Qos { get; init; }

    public bool Retain { get; init; }
}
