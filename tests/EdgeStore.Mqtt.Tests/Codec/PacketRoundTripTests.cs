using System.Text;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Tests.Codec;

public sealed class PacketRoundTripTests
{
    public static TheoryData<MqttProtocolVersion> Versions => [MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    [Theory]
    [MemberData(nameof(Versions))]
    public void Connect_with_will_credentials_and_properties_round_trips(MqttProtocolVersion version)
    {
        var packet = new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = "gateway-1",
            CleanStart = true,
            KeepAliveSeconds = 45,
            Username = "user",
            Password = Encoding.UTF8.GetBytes("secret"),
            Will = new MqttWillMessage { Topic = "edgestore/gw/state", Payload = "offline"u8.ToArray(), Qos = MqttQualityOfService.AtLeastOnce, Retain = true },
            Properties = version == MqttProtocolVersion.V500
                ? new MqttProperties { SessionExpiryInterval = 604800, ReceiveMaximum = 100, MaximumPacketSize = 1 << 20, UserProperties = [new("k", "v")] }
                : default,
            WillProperties = version == MqttProtocolVersion.V500 ? new MqttProperties { WillDelayInterval = 5, ContentType = "text/plain" } : default,
        };

        var bytes = WireBytes.Encode(packet, version);
        var decoded = Assert.IsType<ConnectPacket>(WireBytes.DecodeOne(bytes, version).Packet);

        Assert.Equal(0x10, bytes[0]);
        Assert.Equal(version, decoded.ProtocolVersion);
        Assert.Equal("gateway-1", decoded.ClientId);
        Assert.True(decoded.CleanStart);
        Assert.Equal(45, decoded.KeepAliveSeconds);
        Assert.Equal("user", decoded.Username);
        Assert.Equal("secret", Encoding.UTF8.GetString(decoded.Password!));
        Assert.Equal("edgestore/gw/state", decoded.Will!.Topic);
        Assert.Equal("offline", Encoding.UTF8.GetString(decoded.Will.Payload.Span));
        Assert.Equal(MqttQualityOfService.AtLeastOnce, decoded.Will.Qos);
        Assert.True(decoded.Will.Retain);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal(604800u, decoded.Properties.SessionExpiryInterval);
            Assert.Equal((ushort)100, decoded.Properties.ReceiveMaximum);
            Assert.Equal(1u << 20, decoded.Properties.MaximumPacketSize);
            Assert.Equal([new MqttUserProperty("k", "v")], decoded.Properties.UserProperties!);
            Assert.Equal(5u, decoded.WillProperties.WillDelayInterval);
            Assert.Equal("text/plain", decoded.WillProperties.ContentType);
        }

        Assert.Equal(bytes, WireBytes.Encode(decoded, version));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Minimal_connect_matches_the_specification_bytes(MqttProtocolVersion version)
    {
        var packet = new ConnectPacket { ProtocolVersion = version, ClientId = "a", KeepAliveSeconds = 60, CleanStart = true };

        var bytes = WireBytes.Encode(packet, version);

        byte[] expected = version == MqttProtocolVersion.V311
            ? [0x10, 13, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, 0, 60, 0, 1, (byte)'a']
            : [0x10, 14, 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 5, 0x02, 0, 60, 0, 0, 1, (byte)'a'];
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void ConnAck_round_trips(MqttProtocolVersion version)
    {
        var packet = new ConnAckPacket
        {
            SessionPresent = true,
            ReasonCode = 0,
            Properties = version == MqttProtocolVersion.V500
                ? new MqttProperties { ReceiveMaximum = 20, MaximumPacketSize = 1000, TopicAliasMaximum = 10, ReasonString = "ok", AssignedClientIdentifier = "auto-1", MaximumQos = 1 }
                : default,
        };

        var bytes = WireBytes.Encode(packet, version);
        var decoded = Assert.IsType<ConnAckPacket>(WireBytes.DecodeOne(bytes, version).Packet);

        Assert.True(decoded.SessionPresent);
        Assert.Equal(0, decoded.ReasonCode);
        if (version == MqttProtocolVersion.V311)
        {
            Assert.Equal([0x20, 0x02, 0x01, 0x00], bytes);
        }
        else
        {
            Assert.Equal((ushort)20, decoded.Properties.ReceiveMaximum);
            Assert.Equal(1000u, decoded.Properties.MaximumPacketSize);
            Assert.Equal("ok", decoded.Properties.ReasonString);
            Assert.Equal("auto-1", decoded.Properties.AssignedClientIdentifier);
        }

        Assert.Equal(bytes, WireBytes.Encode(decoded, version));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtMostOnce, false, false)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce, true, true)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.ExactlyOnce, false, true)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtMostOnce, true, false)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce, false, true)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce, true, true)]
    public void Publish_round_trips(MqttProtocolVersion version, MqttQualityOfService qos, bool retain, bool duplicate)
    {
        var v5 = version == MqttProtocolVersion.V500;
        var message = new MqttApplicationMessage
        {
            Topic = "sensors/dev-0001/télémétrie",
            Payload = "{\"seq\":1}"u8.ToArray(),
            Qos = qos,
            Retain = retain,
            Duplicate = duplicate,
            ContentType = v5 ? "application/json" : null,
            PayloadFormatIndicator = v5 ? (byte)1 : null,
            MessageExpiryIntervalSeconds = v5 ? 60u : null,
            ResponseTopic = v5 ? "replies/1" : null,
            CorrelationData = v5 ? new byte[] { 1, 2, 3 } : default,
            UserProperties = v5 ? [new("a", "1"), new("a", "2")] : [],
        };
        var packetId = qos == MqttQualityOfService.AtMostOnce ? (ushort)0 : (ushort)4242;

        var bytes = WireBytes.EncodePublish(message, packetId, version);
        var decoded = WireBytes.DecodeOne(bytes, version).Message!;

        Assert.Equal(0x30 | ((int)qos << 1) | (retain ? 1 : 0) | (duplicate ? 8 : 0), bytes[0]);
        Assert.Equal(message.Topic, decoded.Topic);
        Assert.Equal(message.Payload.ToArray(), decoded.Payload.ToArray());
        Assert.Equal(qos, decoded.Qos);
        Assert.Equal(retain, decoded.Retain);
        Assert.Equal(duplicate, decoded.Duplicate);
        Assert.Equal(packetId, decoded.PacketId);
        Assert.Equal(qos != MqttQualityOfService.AtMostOnce, decoded.AckToken.RequiresAck);
        Assert.Equal(message.ContentType, decoded.ContentType);
        Assert.Equal(message.PayloadFormatIndicator, decoded.PayloadFormatIndicator);
        Assert.Equal(message.MessageExpiryIntervalSeconds, decoded.MessageExpiryIntervalSeconds);
        Assert.Equal(message.ResponseTopic, decoded.ResponseTopic);
        Assert.Equal(message.CorrelationData.ToArray(), decoded.CorrelationData.ToArray());
        Assert.Equal(message.UserProperties, decoded.UserProperties);
        Assert.Equal(bytes, WireBytes.EncodePublish(decoded, packetId, version));
    }

    [Fact]
    public void Publish_with_empty_payload_and_large_payload_round_trips()
    {
        foreach (var size in new[] { 0, 127, 128, 16_383, 16_384, 200_000 })
        {
            var payload = new byte[size];
            new Random(size).NextBytes(payload);
            var message = new MqttApplicationMessage { Topic = "t", Payload = payload, Qos = MqttQualityOfService.AtLeastOnce };
            var bytes = WireBytes.EncodePublish(message, 1, MqttProtocolVersion.V500);
            var buffer = new System.Buffers.ReadOnlySequence<byte>(bytes);
            Assert.True(EdgeStore.Mqtt.Codec.MqttPacketReader.TryRead(ref buffer, new(MqttProtocolVersion.V500, 1 << 20, 1), out _, out var decoded));
            Assert.Equal(payload, decoded!.Payload.ToArray());
        }
    }

    public static TheoryData<MqttProtocolVersion, int, byte, bool> PublishResponses()
    {
        var data = new TheoryData<MqttProtocolVersion, int, byte, bool>();
        foreach (var type in new[] { MqttPacketType.PubAck, MqttPacketType.PubRec, MqttPacketType.PubRel, MqttPacketType.PubComp })
        {
            data.Add(MqttProtocolVersion.V311, (int)type, 0, false);
            data.Add(MqttProtocolVersion.V500, (int)type, 0, false);
            data.Add(MqttProtocolVersion.V500, (int)type, type is MqttPacketType.PubRel or MqttPacketType.PubComp ? (byte)0x92 : (byte)0x87, false);
            data.Add(MqttProtocolVersion.V500, (int)type, 0x80, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PublishResponses))]
    public void Publish_responses_round_trip(MqttProtocolVersion version, int packetType, byte reasonCode, bool withProperties)
    {
        var type = (MqttPacketType)packetType;
        var properties = withProperties ? new MqttProperties { ReasonString = "no", UserProperties = [new("x", "y")] } : default;
        PublishResponsePacket packet = type switch
        {
            MqttPacketType.PubAck => new PubAckPacket { PacketId = 513, ReasonCode = reasonCode, Properties = properties },
            MqttPacketType.PubRec => new PubRecPacket { PacketId = 513, ReasonCode = reasonCode, Properties = properties },
            MqttPacketType.PubRel => new PubRelPacket { PacketId = 513, ReasonCode = reasonCode, Properties = properties },
            _ => new PubCompPacket { PacketId = 513, ReasonCode = reasonCode, Properties = properties },
        };

        var bytes = WireBytes.Encode(packet, version);
        var decoded = Assert.IsAssignableFrom<PublishResponsePacket>(WireBytes.DecodeOne(bytes, version).Packet);

        Assert.Equal(type, decoded.Type);
        Assert.Equal(((int)type << 4) | (type == MqttPacketType.PubRel ? 2 : 0), bytes[0]);
        Assert.Equal(513, decoded.PacketId);
        Assert.Equal(reasonCode, decoded.ReasonCode);
        Assert.Equal(withProperties ? "no" : null, decoded.Properties.ReasonString);
        if (reasonCode == 0 && !withProperties)
        {
            Assert.Equal(4, bytes.Length);
        }

        Assert.Equal(bytes, WireBytes.Encode(decoded, version));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Subscribe_and_SubAck_round_trip(MqttProtocolVersion version)
    {
        var subscribe = new SubscribePacket
        {
            PacketId = 10,
            Subscriptions = [new("sensors/#", MqttQualityOfService.AtLeastOnce), new("+/status", MqttQualityOfService.ExactlyOnce)],
            Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { SubscriptionIdentifiers = [17], UserProperties = [new("u", "p")] } : default,
        };
        var subAck = new SubAckPacket
        {
            PacketId = 10,
            ReasonCodes = [1, 0x80],
            Properties = version == MqttProtocolVersion.V500 ? new MqttProperties { ReasonString = "denied" } : default,
        };

        var subscribeBytes = WireBytes.Encode(subscribe, version);
        var subAckBytes = WireBytes.Encode(subAck, version);
        var decodedSubscribe = Assert.IsType<SubscribePacket>(WireBytes.DecodeOne(subscribeBytes, version).Packet);
        var decodedSubAck = Assert.IsType<SubAckPacket>(WireBytes.DecodeOne(subAckBytes, version).Packet);

        Assert.Equal(0x82, subscribeBytes[0]);
        Assert.Equal(subscribe.Subscriptions, decodedSubscribe.Subscriptions);
        Assert.Equal([1, 0x80], decodedSubAck.ReasonCodes);
        Assert.Equal(subscribeBytes, WireBytes.Encode(decodedSubscribe, version));
        Assert.Equal(subAckBytes, WireBytes.Encode(decodedSubAck, version));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Unsubscribe_and_UnsubAck_round_trip(MqttProtocolVersion version)
    {
        var unsubscribe = new UnsubscribePacket { PacketId = 11, Filters = ["sensors/#", "a/+/b"] };
        var unsubAck = new UnsubAckPacket { PacketId = 11, ReasonCodes = version == MqttProtocolVersion.V500 ? [0x00, 0x11] : [] };

        var unsubscribeBytes = WireBytes.Encode(unsubscribe, version);
        var unsubAckBytes = WireBytes.Encode(unsubAck, version);
        var decodedUnsubscribe = Assert.IsType<UnsubscribePacket>(WireBytes.DecodeOne(unsubscribeBytes, version).Packet);
        var decodedUnsubAck = Assert.IsType<UnsubAckPacket>(WireBytes.DecodeOne(unsubAckBytes, version).Packet);

        Assert.Equal(0xA2, unsubscribeBytes[0]);
        Assert.Equal(["sensors/#", "a/+/b"], decodedUnsubscribe.Filters);
        Assert.Equal(11, decodedUnsubAck.PacketId);
        Assert.Equal(unsubAck.ReasonCodes, decodedUnsubAck.ReasonCodes);
        Assert.Equal(unsubscribeBytes, WireBytes.Encode(decodedUnsubscribe, version));
        Assert.Equal(unsubAckBytes, WireBytes.Encode(decodedUnsubAck, version));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Ping_packets_are_two_bytes(MqttProtocolVersion version)
    {
        var request = WireBytes.Encode(PingReqPacket.Instance, version);
        var response = WireBytes.Encode(PingRespPacket.Instance, version);

        Assert.Equal([0xC0, 0x00], request);
        Assert.Equal([0xD0, 0x00], response);
        Assert.IsType<PingReqPacket>(WireBytes.DecodeOne(request, version).Packet);
        Assert.IsType<PingRespPacket>(WireBytes.DecodeOne(response, version).Packet);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Disconnect_round_trips(MqttProtocolVersion version)
    {
        var plain = WireBytes.Encode(new DisconnectPacket(), version);
        Assert.Equal([0xE0, 0x00], plain);
        Assert.IsType<DisconnectPacket>(WireBytes.DecodeOne(plain, version).Packet);

        if (version == MqttProtocolVersion.V500)
        {
            var withReason = new DisconnectPacket { ReasonCode = 0x8E, Properties = new MqttProperties { ReasonString = "session taken over", SessionExpiryInterval = 0 } };
            var bytes = WireBytes.Encode(withReason, version);
            var decoded = Assert.IsType<DisconnectPacket>(WireBytes.DecodeOne(bytes, version).Packet);
            Assert.Equal(0x8E, decoded.ReasonCode);
            Assert.Equal("session taken over", decoded.Properties.ReasonString);
            Assert.Equal(bytes, WireBytes.Encode(decoded, version));
        }
    }

    [Fact]
    public void Auth_round_trips_in_v5()
    {
        var packet = new AuthPacket { ReasonCode = 0x18, Properties = new MqttProperties { AuthenticationMethod = "SCRAM-SHA-1", AuthenticationData = [1, 2] } };

        var bytes = WireBytes.Encode(packet, MqttProtocolVersion.V500);
        var decoded = Assert.IsType<AuthPacket>(WireBytes.DecodeOne(bytes, MqttProtocolVersion.V500).Packet);

        Assert.Equal(0xF0, bytes[0]);
        Assert.Equal(0x18, decoded.ReasonCode);
        Assert.Equal("SCRAM-SHA-1", decoded.Properties.AuthenticationMethod);
        Assert.Equal(bytes, WireBytes.Encode(decoded, MqttProtocolVersion.V500));
    }

    [Fact]
    public void Several_packets_in_one_buffer_decode_in_order()
    {
        var bytes = WireBytes.Encode(new PubAckPacket { PacketId = 1 }, MqttProtocolVersion.V311)
            .Concat(WireBytes.EncodePublish(new MqttApplicationMessage { Topic = "a", Payload = new byte[] { 9 } }, 0, MqttProtocolVersion.V311))
            .Concat(WireBytes.Encode(PingRespPacket.Instance, MqttProtocolVersion.V311))
            .ToArray();
        var buffer = WireBytes.Segmented(bytes);
        var settings = new EdgeStore.Mqtt.Codec.MqttDecoderSettings(MqttProtocolVersion.V311, 1024, 1);

        Assert.True(EdgeStore.Mqtt.Codec.MqttPacketReader.TryRead(ref buffer, settings, out var first, out _));
        Assert.True(EdgeStore.Mqtt.Codec.MqttPacketReader.TryRead(ref buffer, settings, out _, out var second));
        Assert.True(EdgeStore.Mqtt.Codec.MqttPacketReader.TryRead(ref buffer, settings, out var third, out _));
        Assert.False(EdgeStore.Mqtt.Codec.MqttPacketReader.TryRead(ref buffer, settings, out _, out _));

        Assert.IsType<PubAckPacket>(first);
        Assert.Equal("a", second!.Topic);
        Assert.IsType<PingRespPacket>(third);
    }

    [Fact]
    public void Ack_token_packs_generation_packet_id_and_qos()
    {
        var token = MqttAckToken.Create(123_456_789, 65535, MqttQualityOfService.ExactlyOnce);
        var rebuilt = new MqttAckToken(token.Value);

        Assert.True(rebuilt.RequiresAck);
        Assert.Equal(123_456_789, rebuilt.Generation);
        Assert.Equal(65535, rebuilt.PacketId);
        Assert.Equal(MqttQualityOfService.ExactlyOnce, rebuilt.Qos);
        Assert.True(token.Value > 0);
        Assert.False(MqttAckToken.Create(5, 0, MqttQualityOfService.AtMostOnce).RequiresAck);
        Assert.Equal(0, MqttAckToken.Create(5, 0, MqttQualityOfService.AtMostOnce).Value);
    }
}
