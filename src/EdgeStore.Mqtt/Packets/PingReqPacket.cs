namespace EdgeStore.Mqtt.Packets;

/// <summary>PINGREQ (client to broker): no body. One shared instance.</summary>
internal sealed class PingReqPacket : MqttPacket
{
    public static readonly PingReqPacket Instance = new();

    public override MqttPacketType Type => MqttPacketType.PingReq;
}
