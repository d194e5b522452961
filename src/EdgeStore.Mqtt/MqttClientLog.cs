using Microsoft.Extensions.Logging;

namespace EdgeStore.Mqtt;

/// <summary>Source-generated log lines of the client; each one a fact an operator can act on.</summary>
internal static partial class MqttClientLog
{
    [LoggerMessage(1, LogLevel.Information, "Connected to MQTT broker {Endpoint} over {ProtocolVersion} (the broker {Session})")]
    private static partial void Connected(ILogger logger, string endpoint, string protocolVersion, string session);

    public static void Connected(ILogger logger, string endpoint, string protocolVersion, bool sessionPresent) =>
        Connected(logger, endpoint, protocolVersion, sessionPresent ? "kept our session" : "started a new session");

    [LoggerMessage(2, LogLevel.Warning, "Cannot connect to MQTT broker {Endpoint}: {Reason}. Retry {Attempt} in {RetryDelayMs} ms")]
    public static partial void ConnectFailed(ILogger logger, string endpoint, string reason, int attempt, long retryDelayMs);

    [LoggerMessage(3, LogLevel.Warning, "MQTT connection to {Endpoint} lost: {Reason}. Reconnecting")]
    public static partial void ConnectionLost(ILogger logger, string endpoint, string reason);

    [LoggerMessage(4, LogLevel.Warning, "MQTT connection to {Endpoint} closed: protocol error: {Reason}. Reconnecting")]
    public static partial void ProtocolError(ILogger logger, string endpoint, string reason);

    [LoggerMessage(5, LogLevel.Information, "Disconnected from MQTT broker {Endpoint} (client stopped)")]
    public static partial void Stopped(ILogger logger, string endpoint);

    [LoggerMessage(6, LogLevel.Warning, "MQTT broker refused subscription to '{Filter}': reason code 0x{ReasonCode:X2} ({Reason}); not ready until it is granted, retrying on this connection")]
    public static partial void SubscriptionRefused(ILogger logger, string filter, byte reasonCode, string reason);

    [LoggerMessage(7, LogLevel.Error, "MQTT message handler failed for topic '{Topic}'; the message stays unacknowledged")]
    public static partial void ConsumerFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(8, LogLevel.Debug, "Dropped acknowledgement of packet {PacketId} from connection {TokenGeneration} (current connection {CurrentGeneration})")]
    public static partial void StaleAckDropped(ILogger logger, ushort packetId, long tokenGeneration, long currentGeneration);

    [LoggerMessage(10, LogLevel.Warning, "MQTT broker {Endpoint} sent {Inflight} unacknowledged QoS 1/2 messages, more than our receive maximum of {ReceiveMaximum}; tolerated (logged once per connection)")]
    public static partial void ReceiveMaximumExceeded(ILogger logger, string endpoint, int inflight, ushort receiveMaximum);

    [LoggerMessage(11, LogLevel.Error, "MQTT client loop for {Endpoint} failed unexpectedly; reconnecting")]
    public static partial void LoopFailed(ILogger logger, string endpoint, Exception exception);

    [LoggerMessage(9, LogLevel.Warning, "Subscribing after connect to {Endpoint} failed: {Reason}")]
    public static partial void SubscribeAfterConnectFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(12, LogLevel.Error, "MQTT release handler failed for PUBREL of packet {PacketId}; PUBCOMP is not sent (the broker resends PUBREL after a reconnect)")]
    public static partial void ReleaseConsumerFailed(ILogger logger, ushort packetId, Exception exception);

    [LoggerMessage(13, LogLevel.Error, "MQTT ConnectionAccepted handler failed for {Endpoint}; closing the connection and connecting again")]
    public static partial void ConnectionAcceptedFailed(ILogger logger, string endpoint, Exception exception);

    [LoggerMessage(14, LogLevel.Warning, "MQTT PUBLISH on '{Topic}' has a payload of {PayloadBytes} bytes, over the maximum packet size of {MaximumPacketSize} bytes; read through and delivered with its first {PrefixBytes} bytes")]
    public static partial void OversizeMessage(ILogger logger, string topic, long payloadBytes, uint maximumPacketSize, int prefixBytes);

    [LoggerMessage(15, LogLevel.Error, "MQTT ConnectionChanged handler failed")]
    public static partial void ConnectionChangedFailed(ILogger logger, Exception exception);
}
