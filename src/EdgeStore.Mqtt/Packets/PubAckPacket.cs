namespace EdgeStore.Mqtt.Packets;

/// <summary>PUBACK (QoS 1 acknowledgement, both directions): see <see cref="PublishResponsePacket"/> for the shared wire shape.</summary>
internal sealed class PubAckPacket : PublishResponsePacket
{
    public override MqttPacketType Type => MqttPacketType.PubAck;
}
