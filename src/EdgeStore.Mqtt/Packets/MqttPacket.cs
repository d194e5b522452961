namespace EdgeStore.Mqtt.Packets;

/// <summary>A decoded control packet other than PUBLISH (PUBLISH decodes straight into <see cref="MqttApplicationMessage"/>).</summary>
internal abstract class MqttPacket
{
    public abstract MqttPacketType Type { get; }
}
