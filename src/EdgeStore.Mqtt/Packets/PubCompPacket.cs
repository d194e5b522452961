namespace EdgeStore.Mqtt.Packets;

/// <summary>PUBCOMP (QoS 2 step 3, receiver to sender): see <see cref="PublishResponsePacket"/> for the shared wire shape.</summary>
internal sealed class PubCompPacket : PublishResponsePacket
{
    public override MqttPacketType Type => MqttPacketType.PubComp;
}
