namespace EdgeStore.Mqtt.Codec;

/// <summary>What the decoder needs to know about the connection: the negotiated version, the largest packet we
/// accept (checked from the fixed header, before the body is buffered) and the generation stamped into ack tokens.</summary>
/// <summary>The optional topic cache belongs to the one receive loop that uses these settings. With
/// <paramref name="Payloads"/> a PUBLISH payload up to 4 KiB is copied into the memory it gives.</summary>
internal readonly record struct MqttDecoderSettings(MqttProtocolVersion Version, uint MaximumPacketSizeBytes, long Generation, TopicCache? Topics = null, MqttPayloadAllocator? Payloads = null);
