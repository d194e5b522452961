namespace EdgeStore.Mqtt.Packets;

/// <summary>PUBREC (QoS 2 step 1, receiver to sender): see <see cref="PublishResponsePacket"/> for the shared wire shape.</summary>
internal sealed class PubRecPacket : PublishResponsePacket
{
    public override MqttPacketType Type => MqttPacketType.PubRec;
}
