using EdgeStore.Mqtt.Connection;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Tests.Codec;

/// <summary>The bytes the host's redelivery ledger and a stock broker rely on: receive maximum, retain handling,
/// ack tokens.</summary>
public sealed class SessionContractBytesTests
{
    [Theory]
    [InlineData((ushort)65535)]
    [InlineData((ushort)500)]
    public void Connect_always_carries_receive_maximum_under_mqtt5(ushort receiveMaximum)
    {
        var options = new MqttClientOptions { ClientId = "c", ReceiveMaximum = receiveMaximum };

        var bytes = WireBytes.Encode(MqttConnector.CreateConnect(options), MqttProtocolVersion.V500);
        var decoded = Assert.IsType<ConnectPacket>(WireBytes.DecodeOne(bytes, MqttProtocolVersion.V500).Packet);

        Assert.Equal(receiveMaximum, decoded.Properties.ReceiveMaximum);
        byte[] property = [0x21, (byte)(receiveMaximum >> 8), (byte)receiveMaximum];
        Assert.True(bytes.AsSpan().IndexOf(property) > 0, "property 0x21 with the configured value is on the wire");
    }

    [Theory]
    [InlineData(MqttRetainHandling.SendAtSubscribe, 0x01)]
    [InlineData(MqttRetainHandling.SendIfNewSubscription, 0x11)]
    [InlineData(MqttRetainHandling.DoNotSend, 0x21)]
    public void Retain_handling_is_encoded_in_the_mqtt5_subscription_options(MqttRetainHandling handling, byte expectedOptions)
    {
        var subscribe = new SubscribePacket
        {
            PacketId = 3,
            Subscriptions = [new MqttSubscription("a/b", MqttQualityOfService.AtLeastOnce) { RetainHandling = handling }],
        };

        var v5 = WireBytes.Encode(subscribe, MqttProtocolVersion.V500);
        var v3 = WireBytes.Encode(subscribe, MqttProtocolVersion.V311);
        var decoded = Assert.IsType<SubscribePacket>(WireBytes.DecodeOne(v5, MqttProtocolVersion.V500).Packet);

        Assert.Equal(expectedOptions, v5[^1]);
        Assert.Equal(handling, Assert.Single(decoded.Subscriptions).RetainHandling);
        Assert.Equal(0x01, v3[^1]);
    }

    [Fact]
    public void Subscription_keeps_its_positional_constructor_and_defaults_to_send_at_subscribe()
    {
        var subscription = new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce);

        Assert.Equal(MqttRetainHandling.SendAtSubscribe, subscription.RetainHandling);
        Assert.Equal(new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce), subscription);
    }

    [Fact]
    public void Release_token_packs_kind_3_and_keeps_the_packet_id()
    {
        var release = MqttAckToken.CreateRelease(123_456_789, 4242);
        var rebuilt = new MqttAckToken(release.Value);
        var publish = MqttAckToken.Create(123_456_789, 4242, MqttQualityOfService.ExactlyOnce);

        Assert.True(rebuilt.IsRelease);
        Assert.True(rebuilt.RequiresAck);
        Assert.Equal(4242, rebuilt.PacketId);
        Assert.Equal(123_456_789, rebuilt.Generation);
        Assert.Equal(3L, (release.Value >> 16) & 0x3);
        Assert.False(publish.IsRelease);
        Assert.Equal(4242, publish.PacketId);
        Assert.NotEqual(publish, release);
    }

    [Fact]
    public void Unknown_pubrel_is_inflight_until_the_consumer_releases_it()
    {
        var flow = new InboundFlow();

        Assert.True(flow.OnPubRelForConsumer(9));
        Assert.Equal(1, flow.Inflight);
        Assert.True(flow.OnPubRelForConsumer(9));
        Assert.Equal(1, flow.Inflight);
        Assert.Equal(InboundPublishAction.ReusedBeforePubComp, flow.OnPublish(9, MqttQualityOfService.ExactlyOnce, out _));
        Assert.True(flow.TryRelease(9));
        Assert.False(flow.TryRelease(9));
        Assert.Equal(0, flow.Inflight);
    }

    [Fact]
    public void Qos2_stays_inflight_from_publish_through_pubrel_until_the_release_is_acknowledged()
    {
        var flow = new InboundFlow();

        Assert.Equal(InboundPublishAction.Deliver, flow.OnPublish(5, MqttQualityOfService.ExactlyOnce, out var inflight));
        Assert.Equal(1, inflight);
        Assert.False(flow.OnPubRelForConsumer(5));
        Assert.True(flow.TryAcknowledge(5, MqttQualityOfService.ExactlyOnce));
        Assert.Equal(InboundPublishAction.ResendPubRec, flow.OnPublish(5, MqttQualityOfService.ExactlyOnce, out _));
        Assert.True(flow.OnPubRelForConsumer(5));
        Assert.Equal(1, flow.Inflight);
        Assert.True(flow.TryRelease(5));
        Assert.Equal(0, flow.Inflight);
        Assert.Equal(InboundPublishAction.Deliver, flow.OnPublish(5, MqttQualityOfService.AtLeastOnce, out inflight));
        Assert.Equal(1, inflight);
    }
}
