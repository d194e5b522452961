namespace EdgeStore.Mqtt;

/// <summary>
/// One PUBLISH as the application sees it. The payload is a copy owned by the message: it stays valid after the
/// receive callback returns and may be kept (for example queued for storage).
/// </summary>
/// <remarks>
/// Telemetry rarely carries the MQTT 5 properties beyond the flags, so they live in a second object made only when a
/// message has one: the message a PUBLISH decodes into, the one allocation per message on the receive path, stays small.
/// </remarks>
public sealed class MqttApplicationMessage
{
    private static readonly IReadOnlyList<MqttUserProperty> NoUserProperties = [];
    private static readonly IReadOnlyList<uint> NoSubscriptionIdentifiers = [];
    private Rare? _rare;

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
    public string? ContentType
    {
        get => _rare?.ContentType;
        init => RareFor(value is not null)?.ContentType = value;
    }

    /// <summary>MQTT 5 payload format indicator: 0 = unspecified bytes, 1 = UTF-8 text; null when absent.</summary>
    public byte? PayloadFormatIndicator
    {
        get => _rare?.PayloadFormatIndicator;
        init => RareFor(value is not null)?.PayloadFormatIndicator = value;
    }

    /// <summary>MQTT 5 message expiry interval in seconds, or null.</summary>
    public uint? MessageExpiryIntervalSeconds
    {
        get => _rare?.MessageExpiryIntervalSeconds;
        init => RareFor(value is not null)?.MessageExpiryIntervalSeconds = value;
    }

    /// <summary>MQTT 5 response topic, or null.</summary>
    public string? ResponseTopic
    {
        get => _rare?.ResponseTopic;
        init => RareFor(value is not null)?.ResponseTopic = value;
    }

    /// <summary>MQTT 5 correlation data, or empty.</summary>
    public ReadOnlyMemory<byte> CorrelationData
    {
        get => _rare?.CorrelationData ?? default;
        init => RareFor(!value.IsEmpty)?.CorrelationData = value;
    }

    /// <summary>MQTT 5 user properties in wire order (empty for 3.1.1).</summary>
    public IReadOnlyList<MqttUserProperty> UserProperties
    {
        get => _rare?.UserProperties ?? NoUserProperties;
        init => RareFor(value is { Count: > 0 })?.UserProperties = value;
    }

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
    public long? OversizeLength
    {
        get => _rare?.OversizeLength;
        init => RareFor(value is not null)?.OversizeLength = value;
    }

    /// <summary>MQTT 5 topic alias on the wire (0 = none).</summary>
    internal ushort TopicAlias { get; init; }

    /// <summary>MQTT 5 subscription identifiers the broker attached.</summary>
    internal IReadOnlyList<uint> SubscriptionIdentifiers
    {
        get => _rare?.SubscriptionIdentifiers ?? NoSubscriptionIdentifiers;
        init => RareFor(value is { Count: > 0 })?.SubscriptionIdentifiers = value;
    }

    // The holder to set a rare property in: made for a value other than the default, so a message without them has
    // none; null when there is none and the value is the default (nothing to record).
    private Rare? RareFor(bool present) => present ? _rare ??= new Rare() : _rare;

    private sealed class Rare
    {
        public string? ContentType { get; set; }

        public byte? PayloadFormatIndicator { get; set; }

        public uint? MessageExpiryIntervalSeconds { get; set; }

        public string? ResponseTopic { get; set; }

        public ReadOnlyMemory<byte> CorrelationData { get; set; }

        public IReadOnlyList<MqttUserProperty> UserProperties { get; set; } = NoUserProperties;

        public IReadOnlyList<uint> SubscriptionIdentifiers { get; set; } = NoSubscriptionIdentifiers;

        public long? OversizeLength { get; set; }
    }
}
