namespace EdgeStore.Mqtt.Connection;

/// <summary>Why a connection ended: the text for the one log line, and whether the broker broke the protocol.</summary>
internal sealed record MqttConnectionClosed(string Reason, bool IsProtocolError, bool Graceful);
