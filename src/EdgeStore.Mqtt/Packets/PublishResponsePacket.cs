using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>
/// The shared shape of PUBACK, PUBREC, PUBREL and PUBCOMP: a packet id, and in MQTT 5 an optional reason code and
/// properties (omitted on the wire when the reason is success and there are no properties, MQTT 5 §3.4.2.1).
/// </summary>
internal abstract class PublishResponsePacket : MqttPacket
{
    public ushort PacketId { get; init; }

    public byte ReasonCode { get; init; }

    public MqttProperties Properties;

    public static PublishResponsePacket Read(ref SequenceReader<byte> reader, MqttPacketType type, MqttProtocolVersion version)
    {
        var packetId = MqttWireReader.ReadPacketId(ref reader);
        byte reason = 0;
        var properties = default(MqttProperties);
        if (version == MqttProtocolVersion.V500 && !reader.End)
        {
            reason = MqttWireReader.ReadByte(ref reader, "reason code");
            if (!reader.End)
            {
                properties = MqttProperties.Read(ref reader, MqttPropertyContext.PublishResponse);
            }
        }

        MqttWireReader.ExpectEnd(ref reader, type.ToString().ToUpperInvariant());
        return type switch
        {
            MqttPacketType.PubAck => new PubAckPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            MqttPacketType.PubRec => new PubRecPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            MqttPacketType.PubRel => new PubRelPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
            _ => new PubCompPacket { PacketId = packetId, ReasonCode = reason, Properties = properties },
        };
    }

    /// <summary>Body size: just the packet id when nothing else needs saying (always in 3.1.1).</summary>
    public static int GetBodySize(MqttProtocolVersion version, byte reasonCode, in MqttProperties properties)
    {
        if (version != MqttProtocolVersion.V500)
        {
            return 2;
        }

        var propertiesSize = properties.GetSize();
        return propertiesSize > 0 ? 3 + MqttWireWriter.VariableByteIntegerSize((uint)propertiesSize) + propertiesSize
            : reasonCode != 0 ? 3
            : 2;
    }

    public static void WriteBody(ref MqttWireWriter writer, MqttProtocolVersion version, ushort packetId, byte reasonCode, in MqttProperties properties)
    {
        writer.WriteUInt16(packetId);
        if (version != MqttProtocolVersion.V500)
        {
            return;
        }

        var propertiesSize = properties.GetSize();
        if (propertiesSize > 0 || reasonCode != 0)
        {
            writer.WriteByte(reasonCode);
        }

        if (propertiesSize > 0)
        {
            properties.Write(ref writer, propertiesSize);
        }
    }
}
