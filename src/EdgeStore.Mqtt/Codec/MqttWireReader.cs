using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace EdgeStore.Mqtt.Codec;

/// <summary>
/// Reads MQTT data types (MQTT 5 §1.5) from a packet body whose full length is already buffered, so running out of
/// bytes here means the packet is malformed, never "need more data".
/// </summary>
internal static class MqttWireReader
{
    public const int MaxStackString = 256;

    public static byte ReadByte(ref SequenceReader<byte> reader, string field)
    {
        if (!reader.TryRead(out var value))
        {
            throw Truncated(field);
        }

        return value;
    }

    public static ushort ReadUInt16(ref SequenceReader<byte> reader, string field)
    {
        if (!reader.TryReadBigEndian(out short value))
        {
            throw Truncated(field);
        }

        return (ushort)value;
    }

    public static uint ReadUInt32(ref SequenceReader<byte> reader, string field)
    {
        if (!reader.TryReadBigEndian(out int value))
        {
            throw Truncated(field);
        }

        return (uint)value;
    }

    /// <summary>Packet identifier of a packet that must carry one: zero is a protocol error (MQTT-2.2.1-3).</summary>
    public static ushort ReadPacketId(ref SequenceReader<byte> reader)
    {
        var id = ReadUInt16(ref reader, "packet identifier");
        if (id == 0)
        {
            throw new MqttProtocolException("packet identifier 0 is not allowed");
        }

        return id;
    }

    /// <summary>Variable byte integer of at most four bytes inside a body (property lengths, subscription ids).</summary>
    public static uint ReadVariableByteInteger(ref SequenceReader<byte> reader, string field)
    {
        uint value = 0;
        for (var i = 0; i < 4; i++)
        {
            if (!reader.TryRead(out var b))
            {
                throw Truncated(field);
            }

            value |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new MqttProtocolException($"{field}: variable byte integer longer than 4 bytes");
    }

    /// <summary>UTF-8 string with a two-byte length; ill-formed UTF-8 and U+0000 are protocol errors (MQTT-1.5.4-1/2).</summary>
    public static string ReadString(ref SequenceReader<byte> reader, string field)
    {
        var length = ReadUInt16(ref reader, field);
        if (reader.Remaining < length)
        {
            throw Truncated(field);
        }

        var unread = reader.UnreadSpan;
        if (unread.Length >= length)
        {
            var text = Decode(unread[..length], field);
            reader.Advance(length);
            return text;
        }

        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = rented.AsSpan(0, length);
            reader.TryCopyTo(span);
            reader.Advance(length);
            return Decode(span, field);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A topic name: like <see cref="ReadString"/>, but served from <paramref name="cache"/> when the same
    /// bytes were decoded before (no string allocated). Only valid topic names (<see cref="MqttTopicFilter.IsValidTopicName"/>)
    /// are cached, so <paramref name="validated"/> true means the name needs no further check.</summary>
    public static string ReadTopic(ref SequenceReader<byte> reader, TopicCache? cache, out bool validated)
    {
        validated = false;
        if (cache is null)
        {
            return ReadString(ref reader, "topic name");
        }

        var unread = reader.UnreadSpan;
        if (unread.Length < 2)
        {
            return ReadString(ref reader, "topic name");
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(unread);
        if (unread.Length < 2 + length)
        {
            // Split across segments: rare, take the general path.
            return ReadString(ref reader, "topic name");
        }

        var bytes = unread.Slice(2, length);
        var cached = cache.Find(bytes, out var slot);
        if (cached is not null)
        {
            reader.Advance(2 + length);
            validated = true;
            return cached;
        }

        var topic = Decode(bytes, "topic name");
        if (MqttTopicFilter.IsValidTopicName(topic))
        {
            cache.Store(slot, bytes, topic);
            validated = true;
        }

        reader.Advance(2 + length);
        return topic;
    }

    /// <summary>Binary data with a two-byte length, copied into a new array.</summary>
    public static byte[] ReadBinary(ref SequenceReader<byte> reader, string field)
    {
        var length = ReadUInt16(ref reader, field);
        return ReadBytes(ref reader, length, field);
    }

    public static byte[] ReadBytes(ref SequenceReader<byte> reader, long length, string field)
    {
        if (reader.Remaining < length)
        {
            throw Truncated(field);
        }

        if (length == 0)
        {
            return [];
        }

        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        return bytes;
    }

    public static void ExpectEnd(ref SequenceReader<byte> reader, string packet)
    {
        if (!reader.End)
        {
            throw new MqttProtocolException($"{packet}: {reader.Remaining} unexpected trailing byte(s)");
        }
    }

    public static MqttProtocolException Truncated(string field) =>
        new($"{field}: packet ends before the field does");

    private static string Decode(ReadOnlySpan<byte> bytes, string field)
    {
        if (!Utf8.IsValid(bytes))
        {
            throw new MqttProtocolException($"{field}: not well-formed UTF-8");
        }

        if (bytes.Contains((byte)0))
        {
            throw new MqttProtocolException($"{field}: contains U+0000");
        }

        return Encoding.UTF8.GetString(bytes);
    }
}
