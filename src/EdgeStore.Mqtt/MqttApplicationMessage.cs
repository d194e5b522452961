namespace EdgeStore.Mqtt;

/// <summary>
/// One PUBLISH as the application sees it. The payload is a copy owned by the message: it stays valid after the
/// receive callback returns and may be kept (for example queued for storage).
/// </summary>
public sealed class MqttApplicationMessage
{
    private static readonly IReadOnlyList<MqttUserProperty> NoUserProperties = [];

    public required string Topic { get; init; }

    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>
    /// The owner <see cref="MqttClientOptions.PayloadAllocator"/> named for the memory <see cref="Payload"/> was copied
    /// into, or null when the payload has an array of its own. The consumer owns that memory from then on and hands it
    /// back once nothing reads the payload any more: never doing so only costs the reuse; doing so while the payload
    /// is still read corrupts another message.
    /// </summary>
    public object? PayloadOwner { get; init; }

    public MqttQualityOfService Qos { get; init; }

    public bool Retain { get; init; }

    /// <summary>DUP flag: the broker may have sent this message before (typically redelivery after a reconnect).</summary>
    public bool Duplicate { get; init; }

    /// <summary>MQTT 5 content type property, or null.</summary>
    public string? ContentType { get; init; }

    /// <summary>MQTT 5 payload format indicator: 0 = unspecified bytes, 1 = UTF-8 text; null when absent.</summary>
    public byte? PayloadFormatIndicator { get; init; }

    /// <summary>MQTT 5 message expiry interval in seconds, or null.</summary>
    public uint? MessageExpiryIntervalSeconds { get; init; }

    /// <summary>MQTT 5 response topic, or null.</summary>
    public string? ResponseTopic { get; init; }

    /// <summary>MQTT 5 correlation data, or empty.</summary>
    public ReadOnlyMemory<byte> CorrelationData { get; init; }

    /// <summary>MQTT 5 user properties in wire order (empty for 3.1.1).</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties { get; init; } = NoUserProperties;

    /// <summary>Pass to <see cref="MqttClient.Acknowledge(MqttAckToken)"/> once the message is safe (QoS 1/2).</summary>
    public MqttAckToken AckToken { get; init; }

    /// <summary>Packet identifier on the wire (0 for QoS 0). With <see cref="Duplicate"/> it tells a redelivery: the
    /// broker resends an unacknowledged message under the same id.</summary>
    public ushort PacketId { get; init; }

    /// <summary>
    /// Null for a normal message. For a PUBLISH larger than <see cref="MqttClientOptions.MaximumPacketSize"/>, the
    /// whole payload length in bytes: the client read the packet through without buffering it, and
    /// <see cref="Payload"/> holds only its first <see cref="MqttClientOptions.OversizePrefixBytes"/> bytes. Such a
    /// message is acknowledged like any other (quarantine it); refusing it would have the broker redeliver it forever.
    /// </summary>
    public long? OversizeLength { get; init; }

    /// <summary>MQTT 5 topic alias on the wire (0 = none).</summary>
    internal ushort TopicAlias { get; init; }

    /// <summary>MQTT 5 subscription identifiers the broker attached.</summary>
    internal IReadOnlyList<uint> SubscriptionIdentifiers { get; init; } = [];
}
