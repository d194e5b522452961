using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Tests.Codec;

public sealed class TopicCacheTests
{
    private static MqttApplicationMessage Decode(string topic, TopicCache cache)
    {
        var bytes = WireBytes.EncodePublish(new MqttApplicationMessage { Topic = topic, Payload = new byte[] { 1 } }, 0, MqttProtocolVersion.V311);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(MqttPacketReader.TryRead(ref buffer, new MqttDecoderSettings(MqttProtocolVersion.V311, 1024, 1, cache), out _, out var message));
        return message!;
    }

    [Fact]
    public void Repeated_topic_is_served_as_the_same_string()
    {
        var cache = new TopicCache();

        var first = Decode("sensors/dev-0001/telemetry", cache);
        var second = Decode("sensors/dev-0001/telemetry", cache);

        Assert.Equal("sensors/dev-0001/telemetry", second.Topic);
        Assert.Same(first.Topic, second.Topic);
    }

    [Fact]
    public void Many_distinct_topics_all_decode_to_their_own_text()
    {
        var cache = new TopicCache();
        var topics = Enumerable.Range(0, 5000).Select(i => $"sensors/dev-{i:D4}/télémétrie").ToList();

        // Two rounds: the second is served from whatever the direct-mapped slots kept, never a neighbour's text.
        for (var round = 0; round < 2; round++)
        {
            foreach (var topic in topics)
            {
                Assert.Equal(topic, Decode(topic, cache).Topic);
            }
        }
    }

    [Fact]
    public void A_cached_topic_does_not_make_a_wildcard_topic_acceptable()
    {
        var cache = new TopicCache();
        Decode("a/b", cache);
        byte[] wildcard = [0x30, 0x05, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'+'];
        var buffer = new ReadOnlySequence<byte>(wildcard);

        Assert.Throws<MqttProtocolException>(() =>
            MqttPacketReader.TryRead(ref buffer, new MqttDecoderSettings(MqttProtocolVersion.V311, 1024, 1, cache), out _, out _));
        Assert.Equal("a/b", Decode("a/b", cache).Topic);
    }

    [Fact]
    public void A_wildcard_topic_is_refused_every_time_it_comes_since_only_valid_names_are_cached()
    {
        var cache = new TopicCache();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            byte[] wildcard = [0x30, 0x05, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'#'];
            var buffer = new ReadOnlySequence<byte>(wildcard);

            Assert.Throws<MqttProtocolException>(() =>
                MqttPacketReader.TryRead(ref buffer, new MqttDecoderSettings(MqttProtocolVersion.V311, 1024, 1, cache), out _, out _));
        }
    }
}
