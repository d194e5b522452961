namespace EdgeStore.Mqtt;

/// <summary>
/// Opaque handle to acknowledge one inbound QoS 1/2 PUBLISH, or one inbound PUBREL (<see cref="IsRelease"/>). It packs
/// the connection generation, the packet id and the kind into 64 bits so a consumer can carry <see cref="Value"/>
/// through storage and rebuild the token later.
/// Layout: bits 0-15 packet id, bits 16-17 QoS (3 = release: the acknowledgement sends PUBCOMP), bits 18-62
/// connection generation. QoS 0 messages carry Value 0.
/// </summary>
public readonly record struct MqttAckToken(long Value)
{
    private const int QosShift = 16;
    private const int GenerationShift = 18;
    private const long GenerationMask = (1L << 45) - 1;
    private const long ReleaseKind = 3;

    /// <summary>False for QoS 0 messages (nothing to acknowledge).</summary>
    public bool RequiresAck => Qos != MqttQualityOfService.AtMostOnce;

    /// <summary>The packet identifier on the wire of the PUBLISH or PUBREL this token acknowledges (0 for QoS 0).</summary>
    public ushort PacketId => (ushort)(Value & 0xFFFF);

    /// <summary>True when this token answers a PUBREL: acknowledging it sends PUBCOMP (QoS 2, see
    /// <see cref="MqttClient.ReleaseReceived"/>).</summary>
    public bool IsRelease => ((Value >> QosShift) & 0x3) == ReleaseKind;

    /// <summary>QoS of the acknowledged PUBLISH; the raw value 3 for a release token.</summary>
    internal MqttQualityOfService Qos => (MqttQualityOfService)((Value >> QosShift) & 0x3);

    internal long Generation => (Value >> GenerationShift) & GenerationMask;

    internal static MqttAckToken Create(long generation, ushort packetId, MqttQualityOfService qos) =>
        qos == MqttQualityOfService.AtMostOnce
            ? default
            : new MqttAckToken(((generation & GenerationMask) << GenerationShift) | ((long)qos << QosShift) | packetId);

    /// <summary>A token whose acknowledgement sends PUBCOMP for <paramref name="packetId"/> on that connection.</summary>
    internal static MqttAckToken CreateRelease(long generation, ushort packetId) =>
        new(((generation & GenerationMask) << GenerationShift) | (ReleaseKind << QosShift) | packetId);
}
