using System.Buffers;
using System.Runtime.InteropServices;
using EdgeStore.Mqtt.Codec;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Tests.Codec;

/// <summary>Payloads decoded into arrays from the shared pool: exactly the bytes sent, and only when asked and small.</summary>
public sealed class RentedPayloadTests
{
    private static MqttApplicationMessage Decode(byte[] payload, bool rent, MqttProtocolVersion version = MqttProtocolVersion.V500)
    {
        var bytes = WireBytes.EncodePublish(new MqttApplicationMessage { Topic = "sensors/a", Payload = payload, Qos = MqttQualityOfService.AtLeastOnce }, 7, version);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(MqttPacketReader.TryRead(ref buffer, new MqttDecoderSettings(version, 1 << 20, 1, RentPayloads: rent), out _, out var message));
        return message!;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(PublishPacket.MaxRentedPayloadBytes)]
    public void A_small_payload_is_rented_and_holds_exactly_the_bytes_sent(int length)
    {
        var payload = Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

        var message = Decode(payload, rent: true);

        Assert.True(message.PayloadRented);
        Assert.Equal(payload, message.Payload.ToArray());
        Assert.True(MemoryMarshal.TryGetArray(message.Payload, out var segment));
        Assert.True(segment.Array!.Length >= length); // a pool array, possibly longer than the payload
        ArrayPool<byte>.Shared.Return(segment.Array);
    }

    [Fact]
    public void A_payload_over_the_rent_limit_gets_its_own_array()
    {
        var payload = new byte[PublishPacket.MaxRentedPayloadBytes + 1];
        payload[^1] = 0x5A;

        var message = Decode(payload, rent: true);

        Assert.False(message.PayloadRented);
        Assert.Equal(payload, message.Payload.ToArray());
    }

    [Fact]
    public void Without_renting_and_for_an_empty_payload_nothing_is_rented()
    {
        Assert.False(Decode([1, 2, 3], rent: false).PayloadRented);
        var empty = Decode([], rent: true);
        Assert.False(empty.PayloadRented);
        Assert.Equal(0, empty.Payload.Length);
    }

    [Fact]
    public void Two_messages_decoded_one_after_the_other_do_not_share_bytes()
    {
        var first = Decode([1, 1, 1, 1], rent: true, MqttProtocolVersion.V311);
        var second = Decode([2, 2, 2, 2], rent: true, MqttProtocolVersion.V311);

        Assert.Equal(new byte[] { 1, 1, 1, 1 }, first.Payload.ToArray());
        Assert.Equal(new byte[] { 2, 2, 2, 2 }, second.Payload.ToArray());
    }
}
