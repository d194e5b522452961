namespace EdgeStore.Mqtt;

/// <summary>The peer sent bytes that break the MQTT specification. The connection is closed.</summary>
public sealed class MqttProtocolException : MqttException
{
    public MqttProtocolException()
    {
    }

    public MqttProtocolException(string message)
        : base(message)
    {
    }

    public MqttProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>MQTT 5 reason code sent in DISCONNECT for this error (0x81 malformed packet by default).</summary>
    public byte ReasonCode { get; init; } = 0x81;
}
