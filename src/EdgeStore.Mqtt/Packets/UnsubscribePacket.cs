using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>UNSUBSCRIBE (client to broker, fixed-header flags 0010): packet id, properties, filters.</summary>
internal sealed class UnsubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Unsubscribe;

    public ushort PacketId { get; init; }

    public required IReadOnlyList<string> Filters { get; init; }

    public MqttProperties Properties;

    public static UnsubscribePacket Read(ref SequenceReader<byte> reader, MqttProtocolVersion version)
    {
        var packetId = MqttWireReader.ReadPacketId(ref reader);
        var properties = version == MqttProtocolVersion.V500 ? MqttProperties.Read(ref reader, MqttPropertyContext.Unsubscribe) : default;
        var filters = new List<string>();
        while (!reader.End)
        {
            var filter = MqttWireReader.ReadString(ref reader, "topic filter");
            if (!MqttTopicFilter.IsValidFilter(filter))
            {
                throw new MqttProtocolException($"UNSUBSCRIBE filter '{filter}' is not a valid topic filter");
            }

            filters.Add(filter);
        }

        if (filters.Count == 0)
        {
            throw new MqttProtocolException("UNSUBSCRIBE without any topic filter");
        }

        return new UnsubscribePacket { PacketId = packetId, Filters = filters, Properties = properties };
    }

    public int GetBodySize(MqttProtocolVersion version)
    {
        var size = 2 + (version == MqttProtocolVersion.V500 ? Properties.GetBlockSize() : 0);
        foreach (var filter in Filters)
        {
            size += MqttWireWriter.StringSize(filter);
        }

        return size;
    }

    public void WriteBody(ref MqttWireWriter writer, MqttProtocolVersion version)
    {
        writer.WriteUInt16(PacketId);
        if (version == MqttProtocolVersion.V500)
        {
            Properties.Write(ref writer, Properties.GetSize());
        }

        foreach (var filter in Filters)
        {
            writer.WriteString(filter);
        }
    }
}
