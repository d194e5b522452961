namespace EdgeStore.Mqtt.Packets;

/// <summary>PUBREL (QoS 2 step 2, fixed-header flags 0010): see <see cref="PublishResponsePacket"/> for the shared wire shape.</summary>
internal sealed class PubRelPacket : PublishResponsePacket
{
    public override MqttPacketType Type => MqttPacketType.PubRel;
}
