using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>
/// PUBLISH in both directions. Inbound it decodes straight into an <see cref="MqttApplicationMessage"/> (the message
/// object and its payload copy are the only allocations besides the topic string); outbound it writes one.
/// </summary>
internal static class PublishPacket
{
    public const byte DupFlag = 0x08;
    public const byte RetainFlag = 0x01;

    /// <summary>
    /// Payloads up to this size go to the consumer's <see cref="MqttPayloadAllocator"/> when it gives one (telemetry is
    /// typically tens to hundreds of bytes). Larger ones get their own array: a burst of large payloads must not leave
    /// megabytes parked in reusable memory inside a small cgroup.
    /// </summary>
    public const int MaxAllocatedPayloadBytes = 4096;

    /// <summary>Decodes a PUBLISH body. For an oversize PUBLISH the reader holds only the head and the payload prefix,
    /// and <paramref name="oversizeLength"/> is the whole payload length.</summary>
    public static MqttApplicationMessage Read(
        ref SequenceReader<byte> reader, byte flags, MqttProtocolVersion version, long generation, TopicCache? topics = null, long? oversizeLength = null, MqttPayloadAllocator? payloads = null)
    {
        var qos = (MqttQualityOfService)((flags >> 1) & 0x03);
        var topic = MqttWireReader.ReadTopic(ref reader, topics, out var validated);
        var packetId = qos == MqttQualityOfService.AtMostOnce ? (ushort)0 : MqttWireReader.ReadPacketId(ref reader);
        var properties = version == MqttProtocolVersion.V500 ? MqttProperties.Read(ref reader, MqttPropertyContext.Publish) : default;

        // An empty topic is legal only with a topic alias (MQTT 5 §3.3.2.1); wildcards never (MQTT-3.3.2-2). A name
        // served from the topic cache was checked when it was cached.
        if (!validated && (topic.Length == 0 ? properties.TopicAlias is null : !MqttTopicFilter.IsValidTopicName(topic)))
        {
            throw new MqttProtocolException($"PUBLISH topic '{topic}' is not a valid topic name") { ReasonCode = 0x90 };
        }

        object? owner = null;
        var payload = payloads is not null && oversizeLength is null && reader.Remaining is > 0 and <= MaxAllocatedPayloadBytes
            ? ReadInto(ref reader, payloads, out owner)
            : MqttWireReader.ReadBytes(ref reader, reader.Remaining, "payload");
        return new MqttApplicationMessage
        {
            Topic = topic,
            Payload = payload,
            PayloadOwner = owner,
            Qos = qos,
            Retain = (flags & RetainFlag) != 0,
            Duplicate = (flags & DupFlag) != 0,
            PacketId = packetId,
            AckToken = MqttAckToken.Create(generation, packetId, qos),
            ContentType = properties.ContentType,
            PayloadFormatIndicator = properties.PayloadFormatIndicator,
            MessageExpiryIntervalSeconds = properties.MessageExpiryInterval,
            ResponseTopic = properties.ResponseTopic,
            CorrelationData = properties.CorrelationData,
            UserProperties = properties.UserProperties is { } userProperties ? userProperties : [],
            TopicAlias = properties.TopicAlias ?? 0,
            SubscriptionIdentifiers = properties.SubscriptionIdentifiers is { } ids ? ids : [],
            OversizeLength = oversizeLength,
        };
    }

    // The rest of the packet is the payload: copied into the consumer's memory, handed on as exactly its bytes.
    private static ReadOnlyMemory<byte> ReadInto(ref SequenceReader<byte> reader, MqttPayloadAllocator payloads, out object? owner)
    {
        var length = (int)reader.Remaining;
        var memory = payloads(length, out owner);
        if (memory.Length != length)
        {
            throw new InvalidOperationException($"the payload allocator gave {memory.Length} bytes for a payload of {length}");
        }

        reader.TryCopyTo(memory.Span);
        reader.Advance(length);
        return memory;
    }

    public static byte GetFlags(MqttApplicationMessage message) =>
        (byte)(((int)message.Qos << 1) | (message.Retain ? RetainFlag : 0) | (message.Duplicate ? DupFlag : 0));

    public static MqttProperties GetProperties(MqttApplicationMessage message)
    {
        return new MqttProperties
        {
            PayloadFormatIndicator = message.PayloadFormatIndicator,
            MessageExpiryInterval = message.MessageExpiryIntervalSeconds,
            ContentType = message.ContentType,
            ResponseTopic = message.ResponseTopic,
            CorrelationData = message.CorrelationData.IsEmpty ? null : message.CorrelationData.ToArray(),
            UserProperties = message.UserProperties.Count == 0 ? null : [.. message.UserProperties],
            TopicAlias = message.TopicAlias == 0 ? null : message.TopicAlias,
            SubscriptionIdentifiers = message.SubscriptionIdentifiers.Count == 0 ? null : [.. message.SubscriptionIdentifiers],
        };
    }

    /// <summary>Size of the variable header (topic, packet id, properties), without the payload.</summary>
    public static int GetVariableHeaderSize(MqttApplicationMessage message, MqttProtocolVersion version, in MqttProperties properties) =>
        MqttWireWriter.StringSize(message.Topic)
        + (message.Qos == MqttQualityOfService.AtMostOnce ? 0 : 2)
        + (version == MqttProtocolVersion.V500 ? properties.GetBlockSize() : 0);

    public static void WriteVariableHeader(ref MqttWireWriter writer, MqttApplicationMessage message, ushort packetId, MqttProtocolVersion version, in MqttProperties properties)
    {
        writer.WriteString(message.Topic);
        if (message.Qos != MqttQualityOfService.AtMostOnce)
        {
            writer.WriteUInt16(packetId);
        }

        if (version == MqttProtocolVersion.V500)
        {
            properties.Write(ref writer, properties.GetSize());
        }
    }
}
