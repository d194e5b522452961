using System.Buffers;
using EdgeStore.Mqtt.Codec;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Tests.Codec;

public sealed class RandomBytesFuzzTests
{
    [Theory]
    [InlineData(MqttProtocolVersion.V311, 20260101)]
    [InlineData(MqttProtocolVersion.V500, 20260102)]
    public void Random_bytes_only_ever_decode_or_raise_the_protocol_error(MqttProtocolVersion version, int seed)
    {
        var random = new Random(seed);
        var settings = new MqttDecoderSettings(version, 4096, 1);
        var outcomes = new int[3];
        for (var i = 0; i < 30_000; i++)
        {
            var bytes = new byte[random.Next(0, 48)];
            random.NextBytes(bytes);
            if (bytes.Length > 1 && random.Next(2) == 0)
            {
                // Keep the remaining length plausible so bodies get parsed, not just headers.
                bytes[1] = (byte)random.Next(0, bytes.Length - 1);
            }

            outcomes[Classify(bytes, settings)]++;
        }

        // Every class of outcome must occur, or the fuzzer is not exercising the parser.
        Assert.All(outcomes, count => Assert.True(count > 0));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, 7)]
    [InlineData(MqttProtocolVersion.V500, 8)]
    public void Mutated_valid_packets_only_ever_decode_or_raise_the_protocol_error(MqttProtocolVersion version, int seed)
    {
        var random = new Random(seed);
        // One cache for the whole run, as a connection keeps it: mutated topics must never be served stale.
        var settings = new MqttDecoderSettings(version, 4096, 1, new TopicCache());
        var seeds = ValidPackets(version);
        var outcomes = new int[3];
        for (var i = 0; i < 30_000; i++)
        {
            var bytes = (byte[])seeds[random.Next(seeds.Count)].Clone();
            var flips = random.Next(1, 4);
            for (var f = 0; f < flips; f++)
            {
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
            }

            outcomes[Classify(bytes, settings)]++;
        }

        Assert.All(outcomes, count => Assert.True(count > 0));
    }

    /// <summary>0 = decoded all packets, 1 = need more data, 2 = protocol error. Anything else fails the test.</summary>
    private static int Classify(byte[] bytes, MqttDecoderSettings settings)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        try
        {
            var guard = 0;
            while (MqttPacketReader.TryRead(ref buffer, settings, out _, out _))
            {
                Assert.True(++guard < 1000);
            }

            return buffer.IsEmpty ? 0 : 1;
        }
        catch (MqttProtocolException)
        {
            return 2;
        }
    }

    private static List<byte[]> ValidPackets(MqttProtocolVersion version)
    {
        var v5 = version == MqttProtocolVersion.V500;
        var properties = v5 ? new MqttProperties { ReasonString = "r", UserProperties = [new("k", "v")] } : default;
        return
        [
            WireBytes.Encode(new ConnectPacket
            {
                ProtocolVersion = version, ClientId = "c", Username = "u", Password = [1],
                Will = new MqttWillMessage { Topic = "w", Payload = new byte[] { 1 } },
                Properties = v5 ? new MqttProperties { SessionExpiryInterval = 1, ReceiveMaximum = 3 } : default,
            }, version),
            WireBytes.Encode(new ConnAckPacket { SessionPresent = true, Properties = v5 ? new MqttProperties { MaximumPacketSize = 99, ReasonString = "x" } : default }, version),
            WireBytes.EncodePublish(new MqttApplicationMessage
            {
                Topic = "a/b", Payload = new byte[] { 1, 2, 3 }, Qos = MqttQualityOfService.AtLeastOnce,
                ContentType = v5 ? "c" : null, UserProperties = v5 ? [new("x", "y")] : [],
            }, 3, version),
            WireBytes.Encode(new PubAckPacket { PacketId = 3, ReasonCode = v5 ? (byte)0x10 : (byte)0, Properties = properties }, version),
            WireBytes.Encode(new PubRelPacket { PacketId = 3 }, version),
            WireBytes.Encode(new SubscribePacket { PacketId = 4, Subscriptions = [new("a/#", MqttQualityOfService.AtLeastOnce)] }, version),
            WireBytes.Encode(new SubAckPacket { PacketId = 4, ReasonCodes = [1, 0x80], Properties = properties }, version),
            WireBytes.Encode(new UnsubscribePacket { PacketId = 5, Filters = ["a/+"] }, version),
            WireBytes.Encode(new UnsubAckPacket { PacketId = 5, ReasonCodes = v5 ? [0] : [] }, version),
            WireBytes.Encode(new DisconnectPacket { ReasonCode = v5 ? (byte)0x8B : (byte)0, Properties = properties }, version),
        ];
    }
}
