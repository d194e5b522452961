using System.Buffers;
using EdgeStore.Mqtt.Codec;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Tests.Codec;

/// <summary>Payloads decoded into the consumer's memory: exactly the bytes sent, and only when asked and small.</summary>
public sealed class AllocatedPayloadTests
{
    // One array carved in order, like a slab block, so two payloads sharing it would show.
    private readonly byte[] _arena = new byte[64 * 1024];
    private readonly object _owner = new();
    private int _used;
    private int _calls;

    private Memory<byte> Allocate(int length, out object? owner)
    {
        _calls++;
        owner = _owner;
        var memory = _arena.AsMemory(_used, length);
        _used += length;
        return memory;
    }

    private MqttApplicationMessage Decode(byte[] payload, bool allocate, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var bytes = WireBytes.EncodePublish(new MqttApplicationMessage { Topic = "sensors/a", Payload = payload, Qos = MqttQualityOfService.AtLeastOnce }, 7, version);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(MqttPacketReader.TryRead(ref buffer, new MqttDecoderSettings(version, 1 << 20, 1, Payloads: allocate ? Allocate : null), out _, out var message));
        return message!;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(PublishPacket.MaxAllocatedPayloadBytes)]
    public void A_small_payload_is_copied_into_the_allocators_memory_with_exactly_the_bytes_sent(int length)
    {
        var payload = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

        var message = Decode(payload, allocate: true);

        Assert.Same(_owner, message.PayloadOwner);
        Assert.Equal(payload, message.Payload.ToArray());
        Assert.Equal(payload, _arena.AsSpan(0, length).ToArray()); // the bytes are in the allocator's memory, not a copy of their own
        Assert.Equal(length, _used);
    }

    [Fact]
    public void A_payload_over_the_limit_gets_its_own_array()
    {
        var payload = new byte[PublishPacket.MaxAllocatedPayloadBytes + 1];
        payload[^1] = 0x5A;

        var message = Decode(payload, allocate: true);

        Assert.Null(message.PayloadOwner);
        Assert.Equal(0, _calls);
        Assert.Equal(payload, message.Payload.ToArray());
    }

    [Fact]
    public void Without_an_allocator_and_for_an_empty_payload_nothing_is_allocated()
    {
        Assert.Null(Decode([1, 2, 3], allocate: false).PayloadOwner);
        var empty = Decode([], allocate: true);
        Assert.Null(empty.PayloadOwner);
        Assert.Equal(0, empty.Payload.Length);
        Assert.Equal(0, _calls);
    }

    [Fact]
    public void Two_messages_decoded_one_after_the_other_do_not_share_bytes()
    {
        var first = Decode([1, 1, 1, 1], allocate: true, MqttProtocolVersion.V311);
        var second = Decode([2, 2, 2, 2], allocate: true, MqttProtocolVersion.V311);

        Assert.Equal(new byte[] { 1, 1, 1, 1 }, first.Payload.ToArray());
        Assert.Equal(new byte[] { 2, 2, 2, 2 }, second.Payload.ToArray());
    }

    [Fact]
    public void An_allocator_that_gives_the_wrong_length_is_refused_rather_than_cutting_the_payload()
    {
        var bytes = WireBytes.EncodePublish(new MqttApplicationMessage { Topic = "sensors/a", Payload = new byte[10], Qos = MqttQualityOfService.AtMostOnce }, 0, MqttProtocolVersion.V500);
        var buffer = new ReadOnlySequence<byte>(bytes);
        MqttPayloadAllocator shortChanged = (int length, out object? owner) =>
        {
            owner = null;
            return new byte[length - 1];
        };

        var error = Assert.Throws<InvalidOperationException>(() =>
            MqttPacketReader.TryRead(ref buffer, new MqttDecoderSettings(MqttProtocolVersion.V500, 1 << 20, 1, Payloads: shortChanged), out _, out _));
        Assert.Contains("gave 9 bytes for a payload of 10", error.Message, StringComparison.Ordinal);
    }
}
