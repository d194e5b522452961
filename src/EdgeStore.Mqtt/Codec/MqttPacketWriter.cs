using System.Buffers;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Codec;

/// <summary>
/// Encodes packets into an <see cref="IBufferWriter{T}"/> (the connection's PipeWriter). Sizes are computed first so
/// each packet is written in place, with no intermediate buffer; acknowledgements take a no-allocation path.
/// </summary>
internal static class MqttPacketWriter
{
    public static int Write(IBufferWriter<byte> output, MqttPacket packet, MqttProtocolVersion version)
    {
        var bodySize = packet switch
        {
            ConnectPacket connect => connect.GetBodySize(),
            ConnAckPacket connAck => connAck.GetBodySize(version),
            PublishResponsePacket response => PublishResponsePacket.GetBodySize(version, response.ReasonCode, response.Properties),
            SubscribePacket subscribe => subscribe.GetBodySize(version),
            SubAckPacket subAck => subAck.GetBodySize(version),
            UnsubscribePacket unsubscribe => unsubscribe.GetBodySize(version),
            UnsubAckPacket unsubAck => unsubAck.GetBodySize(version),
            PingReqPacket or PingRespPacket => 0,
            DisconnectPacket disconnect => disconnect.GetBodySize(version),
            AuthPacket auth => auth.GetBodySize(),
            _ => throw new ArgumentException($"cannot encode {packet.GetType().Name}", nameof(packet)),
        };

        var total = HeaderSize(bodySize) + bodySize;
        var span = output.GetSpan(total)[..total];
        var writer = new MqttWireWriter(span);
        WriteFixedHeader(ref writer, packet.Type, bodySize);
        switch (packet)
        {
            case ConnectPacket connect:
                connect.WriteBody(ref writer);
                break;
            case ConnAckPacket connAck:
                connAck.WriteBody(ref writer, version);
                break;
            case PublishResponsePacket response:
                PublishResponsePacket.WriteBody(ref writer, version, response.PacketId, response.ReasonCode, response.Properties);
                break;
            case SubscribePacket subscribe:
                subscribe.WriteBody(ref writer, version);
                break;
            case SubAckPacket subAck:
                subAck.WriteBody(ref writer, version);
                break;
            case UnsubscribePacket unsubscribe:
                unsubscribe.WriteBody(ref writer, version);
                break;
            case UnsubAckPacket unsubAck:
                unsubAck.WriteBody(ref writer, version);
                break;
            case DisconnectPacket disconnect:
                disconnect.WriteBody(ref writer, version);
                break;
            case AuthPacket auth:
                auth.WriteBody(ref writer);
                break;
        }

        output.Advance(total);
        return total;
    }

    /// <summary>PUBACK / PUBREC / PUBREL / PUBCOMP with a reason code and no properties: the acknowledgement hot path.</summary>
    public static int WritePublishResponse(IBufferWriter<byte> output, MqttPacketType type, ushort packetId, byte reasonCode, MqttProtocolVersion version)
    {
        var properties = default(MqttProperties);
        var bodySize = PublishResponsePacket.GetBodySize(version, reasonCode, properties);
        var total = 2 + bodySize;
        var writer = new MqttWireWriter(output.GetSpan(total)[..total]);
        WriteFixedHeader(ref writer, type, bodySize);
        PublishResponsePacket.WriteBody(ref writer, version, packetId, reasonCode, properties);
        output.Advance(total);
        return total;
    }

    /// <summary>Whole encoded size of a PUBLISH, to compare with the broker's maximum packet size before writing.</summary>
    public static long GetPublishSize(MqttApplicationMessage message, MqttProtocolVersion version, in MqttProperties properties)
    {
        var bodySize = (long)PublishPacket.GetVariableHeaderSize(message, version, properties) + message.Payload.Length;
        return bodySize > MqttPacketReader.MaxRemainingLength ? bodySize + 5 : HeaderSize((int)bodySize) + bodySize;
    }

    public static int WritePublish(IBufferWriter<byte> output, MqttApplicationMessage message, ushort packetId, MqttProtocolVersion version)
    {
        var properties = version == MqttProtocolVersion.V500 ? PublishPacket.GetProperties(message) : default;
        var headerSize = PublishPacket.GetVariableHeaderSize(message, version, properties);
        var bodySize = headerSize + message.Payload.Length;
        if (bodySize > MqttPacketReader.MaxRemainingLength)
        {
            throw new MqttException($"PUBLISH of {bodySize} bytes exceeds the MQTT limit of {MqttPacketReader.MaxRemainingLength} bytes");
        }

        var prefixSize = HeaderSize(bodySize) + headerSize;
        var writer = new MqttWireWriter(output.GetSpan(prefixSize)[..prefixSize]);
        writer.WriteByte((byte)(((int)MqttPacketType.Publish << 4) | PublishPacket.GetFlags(message)));
        writer.WriteVariableByteInteger((uint)bodySize);
        PublishPacket.WriteVariableHeader(ref writer, message, packetId, version, properties);
        output.Advance(prefixSize);
        output.Write(message.Payload.Span);
        return prefixSize + message.Payload.Length;
    }

    private static int HeaderSize(int bodySize) => 1 + MqttWireWriter.VariableByteIntegerSize((uint)bodySize);

    private static void WriteFixedHeader(ref MqttWireWriter writer, MqttPacketType type, int bodySize)
    {
        var flags = type is MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe ? 0x02 : 0x00;
        writer.WriteByte((byte)(((int)type << 4) | flags));
        writer.WriteVariableByteInteger((uint)bodySize);
    }
}
