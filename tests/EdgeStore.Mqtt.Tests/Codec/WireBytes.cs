using System.Buffers;
using EdgeStore.Mqtt.Codec;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Tests.Codec;

/// <summary>Encodes and decodes packets for the codec tests, also over sequences split into one-byte segments.</summary>
internal static class WireBytes
{
    public const long Generation = 7;

    public static byte[] Encode(MqttPacket packet, MqttProtocolVersion version)
    {
        var output = new ArrayBufferWriter<byte>();
        var written = MqttPacketWriter.Write(output, packet, version);
        Assert.Equal(written, output.WrittenCount);
        return output.WrittenSpan.ToArray();
    }

    public static byte[] EncodePublish(MqttApplicationMessage message, ushort packetId, MqttProtocolVersion version)
    {
        var output = new ArrayBufferWriter<byte>();
        var written = MqttPacketWriter.WritePublish(output, message, packetId, version);
        Assert.Equal(written, output.WrittenCount);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Decodes exactly one packet; also checks every strict prefix is "need more data" and that a
    /// sequence of one-byte segments decodes to the same bytes.</summary>
    public static (MqttPacket? Packet, MqttApplicationMessage? Message) DecodeOne(byte[] bytes, MqttProtocolVersion version, uint maximumPacketSize = 1024 * 1024)
    {
        var settings = new MqttDecoderSettings(version, maximumPacketSize, Generation);
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.False(MqttPacketReader.TryRead(ref prefix, settings, out _, out _), $"prefix of {length} bytes decoded");
            Assert.Equal(length, prefix.Length);
        }

        var segmented = Segmented(bytes);
        Assert.True(MqttPacketReader.TryRead(ref segmented, settings, out var segmentedPacket, out var segmentedMessage));
        Assert.True(segmented.IsEmpty);

        // The contiguous decode goes through the topic cache, the segmented one through the general string path.
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(MqttPacketReader.TryRead(ref buffer, settings with { Topics = new TopicCache() }, out var packet, out var message));
        Assert.True(buffer.IsEmpty);
        Assert.Equal(packet?.GetType(), segmentedPacket?.GetType());
        Assert.Equal(message?.Payload.ToArray(), segmentedMessage?.Payload.ToArray());
        return (packet, message);
    }

    public static void Decode(byte[] bytes, MqttProtocolVersion version, uint maximumPacketSize = 1024 * 1024)
    {
        var settings = new MqttDecoderSettings(version, maximumPacketSize, Generation, new TopicCache());
        var buffer = new ReadOnlySequence<byte>(bytes);
        while (MqttPacketReader.TryRead(ref buffer, settings, out _, out _))
        {
        }
    }

    public static ReadOnlySequence<byte> Segmented(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
