using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>SUBSCRIBE (client to broker, fixed-header flags 0010): packet id, properties, filters with options.</summary>
internal sealed class SubscribePacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Subscribe;

    public ushort PacketId { get; init; }

    public required IReadOnlyList<MqttSubscription> Subscriptions { get; init; }

    public MqttProperties Properties;

    public static SubscribePacket Read(ref SequenceReader<byte> reader, MqttProtocolVersion version)
    {
        var packetId = MqttWireReader.ReadPacketId(ref reader);
        var properties = version == MqttProtocolVersion.V500 ? MqttProperties.Read(ref reader, MqttPropertyContext.Subscribe) : default;
        var subscriptions = new List<MqttSubscription>();
        while (!reader.End)
        {
            var filter = MqttWireReader.ReadString(ref reader, "topic filter");
            if (!MqttTopicFilter.IsValidFilter(filter))
            {
                throw new MqttProtocolException($"SUBSCRIBE filter '{filter}' is not a valid topic filter");
            }

            var options = MqttWireReader.ReadByte(ref reader, "subscription options");
            var reservedMask = version == MqttProtocolVersion.V500 ? 0xC0 : 0xFC;
            if ((options & reservedMask) != 0 || (options & 0x03) == 3 || ((options >> 4) & 0x03) == 3)
            {
                throw new MqttProtocolException($"SUBSCRIBE options 0x{options:X2} are malformed");
            }

            subscriptions.Add(new MqttSubscription(filter, (MqttQualityOfService)(options & 0x03))
            {
                RetainHandling = (MqttRetainHandling)((options >> 4) & 0x03),
            });
        }

        if (subscriptions.Count == 0)
        {
            throw new MqttProtocolException("SUBSCRIBE without any topic filter");
        }

        return new SubscribePacket { PacketId = packetId, Subscriptions = subscriptions, Properties = properties };
    }

    /// <summary>Subscription options byte: QoS in bits 0-1; under MQTT 5 retain handling in bits 4-5 (MQTT 5 §3.8.3.1).</summary>
    public static byte GetOptions(MqttSubscription subscription, MqttProtocolVersion version) =>
        version == MqttProtocolVersion.V500
            ? (byte)((int)subscription.Qos | ((int)subscription.RetainHandling << 4))
            : (byte)subscription.Qos;

    public int GetBodySize(MqttProtocolVersion version)
    {
        var size = 2 + (version == MqttProtocolVersion.V500 ? Properties.GetBlockSize() : 0);
        foreach (var subscription in Subscriptions)
        {
            size += MqttWireWriter.StringSize(subscription.Filter) + 1;
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

        foreach (var subscription in Subscriptions)
        {
            writer.WriteString(subscription.Filter);
            writer.WriteByte(GetOptions(subscription, version));
        }
    }
}
