namespace EdgeStore.Mqtt.Packets;

/// <summary>PINGRESP (broker to client): no body. One shared instance.</summary>
internal sealed class PingRespPacket : MqttPacket
{
    public static readonly PingRespPacket Instance = new();

    public override MqttPacketType Type => MqttPacketType.PingResp;
}
