namespace EdgeStore.Mqtt;

/// <summary>Raised when a connection becomes ready (connected and subscribed) or is lost.</summary>
public sealed record MqttConnectionEvent(bool Connected, bool SessionPresent, string? Reason);
