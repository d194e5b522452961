using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Tests.Codec;

public sealed class MalformedPacketTests
{
    private const MqttProtocolVersion V3 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V5 = MqttProtocolVersion.V500;

    public static TheoryData<string, MqttProtocolVersion, byte[], string> Corpus => new()
    {
        { "remaining length of 5 bytes", V3, [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "longer than 4 bytes" },
        { "remaining length of 5 bytes (v5)", V5, [0xD0, 0x80, 0x80, 0x80, 0x80, 0x00], "longer than 4 bytes" },
        { "topic length beyond the packet", V3, [0x30, 0x05, 0x00, 0x0A, (byte)'a', (byte)'b', (byte)'c'], "ends before" },
        { "PUBACK body of one byte", V3, [0x40, 0x01, 0x00], "ends before" },
        { "CONNACK body of one byte", V5, [0x20, 0x01, 0x00], "ends before" },
        { "QoS 1 PUBLISH without packet id", V3, [0x32, 0x03, 0x00, 0x01, (byte)'t'], "ends before" },
        { "property length beyond the packet", V5, [0x40, 0x04, 0x00, 0x01, 0x00, 0x09], "exceeds" },
        { "oversized packet (header only buffered)", V3, [0x30, 0x80, 0x80, 0x80, 0x01], "maximum packet size" },
        { "PUBREL with flags 0", V3, [0x60, 0x02, 0x00, 0x01], "flags" },
        { "SUBSCRIBE with flags 0", V3, [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, (byte)'a', 0x00], "flags" },
        { "PUBACK with flags 1", V5, [0x41, 0x02, 0x00, 0x01], "flags" },
        { "PINGRESP with flags", V3, [0xD4, 0x00], "flags" },
        { "PUBLISH with QoS 3", V3, [0x36, 0x05, 0x00, 0x01, (byte)'t', 0x00, 0x01], "QoS 3" },
        { "PUBLISH with DUP at QoS 0", V3, [0x38, 0x03, 0x00, 0x01, (byte)'t'], "DUP" },
        { "CONNACK reserved flag", V3, [0x20, 0x02, 0x02, 0x00], "reserved" },
        { "packet type 0", V3, [0x00, 0x00], "reserved" },
        { "AUTH in 3.1.1", V3, [0xF0, 0x00], "AUTH" },
        { "invalid UTF-8 topic", V3, [0x30, 0x04, 0x00, 0x02, 0xC3, 0x28], "UTF-8" },
        { "overlong UTF-8 topic", V5, [0x30, 0x05, 0x00, 0x02, 0xC0, 0xAF, 0x00], "UTF-8" },
        { "U+0000 in topic", V3, [0x30, 0x05, 0x00, 0x03, (byte)'a', 0x00, (byte)'b'], "U+0000" },
        { "invalid UTF-8 in user property", V5, [0x40, 0x0C, 0x00, 0x01, 0x00, 0x08, 0x26, 0x00, 0x01, 0xFF, 0x00, 0x01, (byte)'v', 0x00], "UTF-8" },
        { "PUBACK packet id 0", V3, [0x40, 0x02, 0x00, 0x00], "packet identifier 0" },
        { "QoS 1 PUBLISH packet id 0", V5, [0x32, 0x06, 0x00, 0x01, (byte)'t', 0x00, 0x00, 0x00], "packet identifier 0" },
        { "SUBACK packet id 0", V3, [0x90, 0x03, 0x00, 0x00, 0x00], "packet identifier 0" },
        { "'+' in PUBLISH topic", V3, [0x30, 0x05, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'+'], "not a valid topic name" },
        { "'#' in PUBLISH topic", V5, [0x30, 0x04, 0x00, 0x01, (byte)'#', 0x00], "not a valid topic name" },
        { "empty topic without alias", V5, [0x30, 0x03, 0x00, 0x00, 0x00], "not a valid topic name" },
        { "property not allowed in PUBACK", V5, [0x40, 0x06, 0x00, 0x01, 0x00, 0x02, 0x01, 0x01], "not allowed" },
        { "unknown property id", V5, [0x40, 0x06, 0x00, 0x01, 0x00, 0x02, 0x7F, 0x00], "not allowed" },
        { "duplicate reason string", V5, [0x40, 0x0C, 0x00, 0x01, 0x00, 0x08, 0x1F, 0x00, 0x01, (byte)'a', 0x1F, 0x00, 0x01, (byte)'b'], "more than once" },
        { "payload format indicator 2", V5, [0x30, 0x06, 0x00, 0x01, (byte)'t', 0x02, 0x01, 0x02], "only 0 or 1" },
        { "receive maximum 0 in CONNACK", V5, [0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00], "must not be 0" },
        { "subscription identifier 0", V5, [0x30, 0x06, 0x00, 0x01, (byte)'t', 0x02, 0x0B, 0x00], "subscription identifier 0" },
        { "undefined CONNACK return code", V3, [0x20, 0x02, 0x00, 0x06], "not defined" },
        { "undefined SUBACK code", V3, [0x90, 0x03, 0x00, 0x01, 0x03], "not defined" },
        { "trailing byte after PINGRESP", V3, [0xD0, 0x01, 0x00], "trailing" },
        { "trailing byte after 3.1.1 PUBACK", V3, [0x40, 0x03, 0x00, 0x01, 0x00], "trailing" },
        { "SUBSCRIBE without filters", V3, [0x82, 0x02, 0x00, 0x01], "without any" },
        { "SUBSCRIBE with wildcard in the middle", V3, [0x82, 0x08, 0x00, 0x01, 0x00, 0x03, (byte)'a', (byte)'#', (byte)'b', 0x01], "not a valid topic filter" },
        { "CONNECT with reserved flag", V3, [0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x03, 0x00, 0x3C, 0x00, 0x01, (byte)'a'], "reserved" },
        { "CONNECT with unknown protocol level", V3, [0x10, 0x0D, 0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x03, 0x02, 0x00, 0x3C, 0x00, 0x01, (byte)'a'], "unsupported" },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Malformed_packet_is_rejected_with_a_protocol_error(string name, MqttProtocolVersion version, byte[] bytes, string reason)
    {
        var exception = Assert.Throws<MqttProtocolException>(() => WireBytes.Decode(bytes, version, maximumPacketSize: 1024));

        Assert.Contains(reason, exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(string.IsNullOrWhiteSpace(name));
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void Malformed_packet_split_into_single_bytes_is_rejected_too(string name, MqttProtocolVersion version, byte[] bytes, string reason)
    {
        var buffer = WireBytes.Segmented(bytes);
        var settings = new MqttDecoderSettings(version, 1024, 1);

        var exception = Assert.Throws<MqttProtocolException>(() =>
        {
            while (MqttPacketReader.TryRead(ref buffer, settings, out _, out _))
            {
            }
        });

        Assert.Contains(reason, exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.NotEmpty(name);
    }

    [Fact]
    public void Oversized_packet_is_refused_from_its_fixed_header_before_the_body_arrives()
    {
        // 2 MiB declared, only the five header bytes present: the limit must fire without waiting for the body.
        byte[] header = [0x30, 0x80, 0x80, 0x80, 0x01];
        var buffer = new ReadOnlySequence<byte>(header);
        var settings = new MqttDecoderSettings(V5, 1024 * 1024, 1);

        var exception = Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryRead(ref buffer, settings, out _, out _));

        Assert.Equal(0x95, exception.ReasonCode);
        Assert.Contains("2097157 bytes", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Packet_exactly_at_the_maximum_size_is_accepted()
    {
        var message = new MqttApplicationMessage { Topic = "t", Payload = new byte[100] };
        var bytes = WireBytes.EncodePublish(message, 0, V3);

        var (_, decoded) = WireBytes.DecodeOne(bytes, V3, maximumPacketSize: (uint)bytes.Length);

        Assert.Equal(100, decoded!.Payload.Length);
        Assert.Throws<MqttProtocolException>(() => WireBytes.Decode(bytes, V3, maximumPacketSize: (uint)bytes.Length - 1));
    }

    [Fact]
    public void Incomplete_remaining_length_is_need_more_data_not_an_error()
    {
        byte[] partial = [0x30, 0xFF, 0xFF, 0xFF];
        var buffer = new ReadOnlySequence<byte>(partial);

        Assert.False(MqttPacketReader.TryRead(ref buffer, new MqttDecoderSettings(V3, uint.MaxValue, 1), out _, out _));
        Assert.Equal(4, buffer.Length);
    }
}
