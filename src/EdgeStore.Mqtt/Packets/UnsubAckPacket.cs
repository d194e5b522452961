using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>UNSUBACK (broker to client): the packet id; in MQTT 5 also properties and one reason code per filter.</summary>
internal sealed class UnsubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.UnsubAck;

    public ushort PacketId { get; init; }

    public byte[] ReasonCodes { get; init; } = [];

    public MqttProperties Properties;

    public static UnsubAckPacket Read(ref SequenceReader<byte> reader, MqttProtocolVersion version)
    {
        var packetId = MqttWireReader.ReadPacketId(ref reader);
        if (version != MqttProtocolVersion.V500)
        {
            MqttWireReader.ExpectEnd(ref reader, "UNSUBACK");
            return new UnsubAckPacket { PacketId = packetId };
        }

        var properties = MqttProperties.Read(ref reader, MqttPropertyContext.UnsubAck);
        if (reader.End)
        {
            throw new MqttProtocolException("UNSUBACK without any reason code");
        }

        var codes = MqttWireReader.ReadBytes(ref reader, reader.Remaining, "UNSUBACK reason codes");
        foreach (var code in codes)
        {
            if (code is (> 0x00 and < 0x11) or (> 0x11 and < 0x80))
            {
                throw new MqttProtocolException($"UNSUBACK reason code 0x{code:X2} is not defined");
            }
        }

        return new UnsubAckPacket { PacketId = packetId, ReasonCodes = codes, Properties = properties };
    }

    public int GetBodySize(MqttProtocolVersion version) =>
        2 + (version == MqttProtocolVersion.V500 ? Properties.GetBlockSize() + ReasonCodes.Length : 0);

    public void WriteBody(ref MqttWireWriter writer, MqttProtocolVersion version)
    {
        writer.WriteUInt16(PacketId);
        if (version == MqttProtocolVersion.V500)
        {
            Properties.Write(ref writer, Properties.GetSize());
            writer.WriteBytes(ReasonCodes);
        }
    }
}
