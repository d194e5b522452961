namespace EdgeStore.Storage;

/// <summary>
/// One received message, decoded, on its way to disk. A non-null <paramref name="QuarantineReason"/> sends it to
/// the quarantine table instead of messages. <paramref name="AckTag"/> is opaque to storage (the host carries
/// the MQTT ack token there; 0 means nothing to acknowledge) and comes back in <see cref="CommittedBatch"/>.
/// </summary>
public readonly record struct IngestRecord(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    byte Qos,
    bool Retain,
    long ReceivedAtUnixMs,
    long? DeviceTimestampUnixMs,
    long? DeviceSequence,
    string? QuarantineReason,
    long AckTag);
