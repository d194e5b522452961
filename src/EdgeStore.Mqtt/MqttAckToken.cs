namespace EdgeStore.Mqtt;

/// <summary>
/// Opaque handle to acknowledge one inbound QoS 1/2 PUBLISH. It packs the connection generation, the packet id and
/// the QoS into 64 bits so a consumer can carry <see cref="Value"/> through storage and rebuild the token later.
/// Layout: bits 0-15 packet id, bits 16-17 QoS, bits 18-62 connection generation. QoS 0 messages carry Value 0.
/// </summary>
public readonly record struct MqttAckToken(long Value)
{
    private const int QosShift = 16;
    private const int GenerationShift = 18;
    private const long GenerationMask = (1L << 45) - 1;

    /// <summary>False for QoS 0 messages (nothing to acknowledge).</summary>
    public bool RequiresAck => Qos != MqttQualityOfService.AtMostOnce;

    internal ushort PacketId => (ushort)(Value & 0xFFFF);

    internal MqttQualityOfService Qos => (MqttQualityOfService)((Value >> QosShift) & 0x3);

    internal long Generation => (Value >> GenerationShift) & GenerationMask;

    internal static MqttAckToken Create(long generation, ushort packetId, MqttQualityOfService qos) =>
        qos == MqttQualityOfService.AtMostOnce
            ? default
            : new MqttAckToken(((generation & GenerationMask) << GenerationShift) | ((long)qos << QosShift) | packetId);
}
