using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>SUBACK (broker to client): one granted QoS or failure reason code per requested filter.</summary>
internal sealed class SubAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.SubAck;

    public ushort PacketId { get; init; }

    public required byte[] ReasonCodes { get; init; }

    public MqttProperties Properties;

    /// <summary>Operator's words for a SUBACK failure code (MQTT 5 §3.9.3; 3.1.1 has only 0x80).</summary>
    public static string Describe(byte code) => code switch
    {
        0x80 => "unspecified error",
        0x83 => "implementation specific error",
        0x87 => "not authorized",
        0x8F => "topic filter invalid",
        0x91 => "packet identifier in use",
        0x97 => "quota exceeded",
        0x9E => "shared subscriptions not supported",
        0xA1 => "subscription identifiers not supported",
        0xA2 => "wildcard subscriptions not supported",
        _ => "refused",
    };

    public static SubAckPacket Read(ref SequenceReader<byte> reader, MqttProtocolVersion version)
    {
        var packetId = MqttWireReader.ReadPacketId(ref reader);
        var properties = version == MqttProtocolVersion.V500 ? MqttProperties.Read(ref reader, MqttPropertyContext.SubAck) : default;
        if (reader.End)
        {
            throw new MqttProtocolException("SUBACK without any reason code");
        }

        var codes = MqttWireReader.ReadBytes(ref reader, reader.Remaining, "SUBACK reason codes");
        foreach (var code in codes)
        {
            if (version == MqttProtocolVersion.V311 ? code is > 2 and not 0x80 : code is > 2 and < 0x80)
            {
                throw new MqttProtocolException($"SUBACK code 0x{code:X2} is not defined for {version}");
            }
        }

        return new SubAckPacket { PacketId = packetId, ReasonCodes = codes, Properties = properties };
    }

    public int GetBodySize(MqttProtocolVersion version) =>
        2 + (version == MqttProtocolVersion.V500 ? Properties.GetBlockSize() : 0) + ReasonCodes.Length;

    public void WriteBody(ref MqttWireWriter writer, MqttProtocolVersion version)
    {
        writer.WriteUInt16(PacketId);
        if (version == MqttProtocolVersion.V500)
        {
            Properties.Write(ref writer, Properties.GetSize());
        }

        writer.WriteBytes(ReasonCodes);
    }
}
