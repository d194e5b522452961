namespace EdgeStore.Mqtt;

/// <summary>Raised when a connection is accepted, becomes ready (connected and subscribed) or is lost.</summary>
public sealed record MqttConnectionEvent(bool Connected, bool SessionPresent, string? Reason)
{
    /// <summary>The protocol version of the connection this event is about.</summary>
    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V500;
}
