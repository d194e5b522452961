using System.Buffers;
using EdgeStore.Mqtt.Codec;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Tests.Codec;

public sealed class OversizePublishReaderTests
{
    private const uint Maximum = 64 * 1024;

    /// <summary>Feeds <paramref name="wire"/> to the decoder the way a PipeReader would: chunks arrive one at a time,
    /// the buffer holds what was not consumed yet, split into segments of <paramref name="segmentSize"/> bytes.</summary>
    private static List<MqttApplicationMessage?> Feed(byte[] wire, MqttProtocolVersion version, int chunkSize, int segmentSize, int prefixBytes, out long allocatedBytes, List<MqttPacket>? packets = null)
    {
        var whole = Segmented(wire, segmentSize);
        var settings = new MqttDecoderSettings(version, Maximum, WireBytes.Generation);
        var oversize = new OversizePublishReader(prefixBytes);
        var messages = new List<MqttApplicationMessage?>();
        long consumed = 0;
        long arrived = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        while (arrived < wire.Length)
        {
            arrived = Math.Min(wire.Length, arrived + chunkSize);
            var buffer = whole.Slice(consumed, arrived - consumed);
            while (MqttPacketReader.TryRead(ref buffer, settings, oversize, out var packet, out var message))
            {
                if (message is not null)
                {
                    messages.Add(message);
                }
                else
                {
                    packets?.Add(packet!);
                }
            }

            consumed = whole.GetOffset(buffer.Start);
        }

        allocatedBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(wire.Length, consumed);
        Assert.False(oversize.InProgress);
        return messages;
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentSize)
    {
        var first = new Segment(bytes.AsMemory(0, Math.Min(segmentSize, bytes.Length)), 0);
        var last = first;
        for (var offset = first.Memory.Length; offset < bytes.Length; offset += segmentSize)
        {
            last = last.Append(bytes.AsMemory(offset, Math.Min(segmentSize, bytes.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static byte[] Payload(int length)
    {
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
        {
            payload[i] = (byte)(i * 7 + 3);
        }

        return payload;
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, 4096, 4096)]
    [InlineData(MqttProtocolVersion.V311, 777, 1000)]
    [InlineData(MqttProtocolVersion.V500, 65536, 333)]
    [InlineData(MqttProtocolVersion.V500, 1, 5000)]
    public void Oversize_publish_is_read_through_across_segments_and_the_packets_after_it_decode(MqttProtocolVersion version, int chunkSize, int segmentSize)
    {
        var payload = Payload(1_500_000);
        var big = new MqttApplicationMessage
        {
            Topic = "sensors/camera/frame",
            Payload = payload,
            Qos = MqttQualityOfService.AtLeastOnce,
            Retain = true,
            Duplicate = true,
            UserProperties = version == MqttProtocolVersion.V500 ? [new MqttUserProperty("k", "v")] : [],
        };
        var small = new MqttApplicationMessage { Topic = "sensors/t", Payload = "21.5"u8.ToArray(), Qos = MqttQualityOfService.AtLeastOnce };
        byte[] wire =
        [
            .. WireBytes.EncodePublish(big, 4711, version),
            .. WireBytes.EncodePublish(small, 4712, version),
            .. WireBytes.Encode(new PubAckPacket { PacketId = 9 }, version),
        ];
        var packets = new List<MqttPacket>();

        var messages = Feed(wire, version, chunkSize, segmentSize, prefixBytes: 1024, out var allocated, packets);

        Assert.Equal(2, messages.Count);
        var oversize = messages[0]!;
        Assert.Equal("sensors/camera/frame", oversize.Topic);
        Assert.Equal(1_500_000, oversize.OversizeLength);
        Assert.Equal(payload.AsSpan(0, 1024).ToArray(), oversize.Payload.ToArray());
        Assert.Equal(4711, oversize.PacketId);
        Assert.Equal(MqttAckToken.Create(WireBytes.Generation, 4711, MqttQualityOfService.AtLeastOnce), oversize.AckToken);
        Assert.True(oversize.Retain);
        Assert.True(oversize.Duplicate);
        Assert.Equal(MqttQualityOfService.AtLeastOnce, oversize.Qos);
        Assert.Equal(big.UserProperties, oversize.UserProperties);
        Assert.Null(messages[1]!.OversizeLength);
        Assert.Equal("21.5"u8.ToArray(), messages[1]!.Payload.ToArray());
        Assert.Equal(9, Assert.IsType<PubAckPacket>(Assert.Single(packets)).PacketId);

        // The 1.5 MB payload is never copied: only the prefix, the messages and the odd string are allocated.
        Assert.True(allocated < 200_000, $"{allocated} bytes allocated while reading a 1.5 MB PUBLISH through");
    }

    [Fact]
    public void Every_prefix_of_the_head_is_need_more_data_and_leaves_the_buffer_untouched()
    {
        var message = new MqttApplicationMessage { Topic = "a/b", Payload = Payload(70_000), Qos = MqttQualityOfService.ExactlyOnce };
        var wire = WireBytes.EncodePublish(message, 3, MqttProtocolVersion.V500);
        var settings = new MqttDecoderSettings(MqttProtocolVersion.V500, Maximum, 1);
        const int HeadLength = 4 + 2 + 3 + 2 + 1 + 16;
        for (var length = 0; length < HeadLength; length++)
        {
            var oversize = new OversizePublishReader(16);
            var prefix = new ReadOnlySequence<byte>(wire, 0, length);
            Assert.False(MqttPacketReader.TryRead(ref prefix, settings, oversize, out _, out _));
            Assert.Equal(length, prefix.Length);
        }

        var reader = new OversizePublishReader(16);
        var head = new ReadOnlySequence<byte>(wire, 0, HeadLength + 10);
        Assert.False(MqttPacketReader.TryRead(ref head, settings, reader, out _, out _));
        Assert.True(head.IsEmpty);
        Assert.True(reader.InProgress);
    }

    [Fact]
    public void A_prefix_longer_than_the_payload_keeps_the_whole_payload()
    {
        var message = new MqttApplicationMessage { Topic = "a/b", Payload = Payload(150) };

        var wire = WireBytes.EncodePublish(message, 0, MqttProtocolVersion.V311);
        var settings = new MqttDecoderSettings(MqttProtocolVersion.V311, 128, 1);
        var buffer = new ReadOnlySequence<byte>(wire);

        Assert.True(MqttPacketReader.TryRead(ref buffer, settings, new OversizePublishReader(1024), out _, out var decoded));
        Assert.Equal(150, decoded!.OversizeLength);
        Assert.Equal(message.Payload.ToArray(), decoded.Payload.ToArray());
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Oversize_packets_other_than_publish_are_still_refused()
    {
        byte[] header = [0x90, 0x80, 0x80, 0x08];
        var buffer = new ReadOnlySequence<byte>(header);
        var settings = new MqttDecoderSettings(MqttProtocolVersion.V500, Maximum, 1);

        var exception = Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryRead(ref buffer, settings, new OversizePublishReader(16), out _, out _));

        Assert.Equal(0x95, exception.ReasonCode);
    }

    [Fact]
    public void A_publish_whose_topic_and_properties_alone_exceed_the_maximum_is_refused()
    {
        var message = new MqttApplicationMessage
        {
            Topic = "t",
            Payload = Payload(10),
            UserProperties = [new MqttUserProperty("k", new string('v', 300))],
        };
        var wire = WireBytes.EncodePublish(message, 0, MqttProtocolVersion.V500);
        var buffer = new ReadOnlySequence<byte>(wire);
        var settings = new MqttDecoderSettings(MqttProtocolVersion.V500, 128, 1);

        var exception = Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryRead(ref buffer, settings, new OversizePublishReader(16), out _, out _));

        Assert.Contains("topic and properties", exception.Message, StringComparison.Ordinal);
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
