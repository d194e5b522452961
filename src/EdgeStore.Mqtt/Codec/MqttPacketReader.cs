using System.Buffers;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Codec;

/// <summary>
/// Incremental MQTT decoder over a <see cref="ReadOnlySequence{T}"/> (Kestrel style): returns false for "need more
/// data", never throws for a short buffer, and throws <see cref="MqttProtocolException"/> for malformed input. Every
/// limit that bounds memory (four-byte remaining length, maximum packet size) is checked from the fixed header, so a
/// packet that is too large is refused before its body is buffered (or, a PUBLISH given an
/// <see cref="OversizePublishReader"/>, read through without buffering it).
/// </summary>
internal static class MqttPacketReader
{
    /// <summary>Largest remaining length a four-byte variable byte integer can carry.</summary>
    public const int MaxRemainingLength = 268_435_455;

    /// <summary>
    /// Decodes one packet from the start of <paramref name="buffer"/>. On success <paramref name="buffer"/> is advanced
    /// past it and exactly one of <paramref name="packet"/> and <paramref name="message"/> (PUBLISH) is set.
    /// </summary>
    public static bool TryRead(
        ref ReadOnlySequence<byte> buffer,
        in MqttDecoderSettings settings,
        out MqttPacket? packet,
        out MqttApplicationMessage? message) =>
        TryRead(ref buffer, settings, oversize: null, out packet, out message);

    /// <summary>
    /// Like the overload without <paramref name="oversize"/>, but a PUBLISH over the maximum packet size is read
    /// through by <paramref name="oversize"/> instead of refused: it returns false (need more data) with the buffer
    /// advanced past discarded bytes until the packet has gone by, then true with a message whose
    /// <see cref="MqttApplicationMessage.OversizeLength"/> is set. Other oversize packets are still refused.
    /// </summary>
    public static bool TryRead(
        ref ReadOnlySequence<byte> buffer,
        in MqttDecoderSettings settings,
        OversizePublishReader? oversize,
        out MqttPacket? packet,
        out MqttApplicationMessage? message)
    {
        packet = null;
        message = null;
        if (oversize is { InProgress: true })
        {
            return oversize.TryContinue(ref buffer, settings, out message);
        }

        if (!TryReadFixedHeader(buffer, settings, oversize is not null, out var first, out var remainingLength, out var headerLength))
        {
            return false;
        }

        var total = (long)headerLength + remainingLength;
        if (total > settings.MaximumPacketSizeBytes)
        {
            // Only an oversize PUBLISH gets here, and only with a read-through reader.
            oversize!.Begin(first, headerLength, remainingLength);
            return oversize.TryContinue(ref buffer, settings, out message);
        }

        if (buffer.Length < total)
        {
            return false;
        }

        var reader = new SequenceReader<byte>(buffer.Slice(headerLength, remainingLength));
        var type = (MqttPacketType)(first >> 4);
        var flags = (byte)(first & 0x0F);
        var version = settings.Version;
        if (type == MqttPacketType.Publish)
        {
            message = PublishPacket.Read(ref reader, flags, version, settings.Generation, settings.Topics, payloads: settings.Payloads);
        }
        else
        {
            packet = type switch
            {
                MqttPacketType.Connect => ConnectPacket.Read(ref reader),
                MqttPacketType.ConnAck => ConnAckPacket.Read(ref reader, version),
                MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp =>
                    PublishResponsePacket.Read(ref reader, type, version),
                MqttPacketType.Subscribe => SubscribePacket.Read(ref reader, version),
                MqttPacketType.SubAck => SubAckPacket.Read(ref reader, version),
                MqttPacketType.Unsubscribe => UnsubscribePacket.Read(ref reader, version),
                MqttPacketType.UnsubAck => UnsubAckPacket.Read(ref reader, version),
                MqttPacketType.PingReq => ReadEmpty(ref reader, PingReqPacket.Instance),
                MqttPacketType.PingResp => ReadEmpty(ref reader, PingRespPacket.Instance),
                MqttPacketType.Disconnect => DisconnectPacket.Read(ref reader, version),
                _ => AuthPacket.Read(ref reader),
            };
        }

        buffer = buffer.Slice(total);
        return true;
    }

    /// <summary>
    /// Reads and validates the fixed header. False when fewer bytes than the header needs are buffered; throws when
    /// the type, the flags, the length encoding or the total size is unacceptable.
    /// </summary>
    public static bool TryReadFixedHeader(
        in ReadOnlySequence<byte> buffer,
        in MqttDecoderSettings settings,
        out byte first,
        out int remainingLength,
        out int headerLength) =>
        TryReadFixedHeader(buffer, settings, allowOversizePublish: false, out first, out remainingLength, out headerLength);

    /// <summary>As above; with <paramref name="allowOversizePublish"/> a PUBLISH over the maximum size is returned
    /// (for reading through) rather than refused.</summary>
    public static bool TryReadFixedHeader(
        in ReadOnlySequence<byte> buffer,
        in MqttDecoderSettings settings,
        bool allowOversizePublish,
        out byte first,
        out int remainingLength,
        out int headerLength)
    {
        remainingLength = 0;
        headerLength = 0;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out first))
        {
            return false;
        }

        ValidateTypeAndFlags(first, settings.Version);
        var value = 0;
        for (var i = 0; ; i++)
        {
            if (i == 4)
            {
                throw new MqttProtocolException("remaining length is longer than 4 bytes");
            }

            if (!reader.TryRead(out var b))
            {
                return false;
            }

            value |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                headerLength = i + 2;
                break;
            }
        }

        var total = (long)headerLength + value;
        if (total > settings.MaximumPacketSizeBytes && !(allowOversizePublish && (MqttPacketType)(first >> 4) == MqttPacketType.Publish))
        {
            throw new MqttProtocolException(
                $"{((MqttPacketType)(first >> 4)).ToString().ToUpperInvariant()} packet of {total} bytes exceeds the maximum packet size of {settings.MaximumPacketSizeBytes} bytes")
            {
                ReasonCode = 0x95,
            };
        }

        remainingLength = value;
        return true;
    }

    private static void ValidateTypeAndFlags(byte first, MqttProtocolVersion version)
    {
        var type = (MqttPacketType)(first >> 4);
        var flags = first & 0x0F;
        switch (type)
        {
            case 0:
                throw new MqttProtocolException("packet type 0 is reserved");
            case MqttPacketType.Auth when version != MqttProtocolVersion.V500:
                throw new MqttProtocolException("AUTH packet in an MQTT 3.1.1 connection");
            case MqttPacketType.Publish:
                var qos = (flags >> 1) & 0x03;
                if (qos == 3)
                {
                    throw new MqttProtocolException("PUBLISH with QoS 3");
                }

                if (qos == 0 && (flags & PublishPacket.DupFlag) != 0)
                {
                    throw new MqttProtocolException("PUBLISH with DUP set at QoS 0");
                }

                return;
            case MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe:
                if (flags != 0x02)
                {
                    throw new MqttProtocolException($"{type} fixed-header flags are 0x{flags:X}, must be 0x2");
                }

                return;
            default:
                if (flags != 0)
                {
                    throw new MqttProtocolException($"{type} fixed-header flags are 0x{flags:X}, must be 0");
                }

                return;
        }
    }

    private static MqttPacket ReadEmpty(ref SequenceReader<byte> reader, MqttPacket packet)
    {
        MqttWireReader.ExpectEnd(ref reader, packet.Type.ToString().ToUpperInvariant());
        return packet;
    }
}
