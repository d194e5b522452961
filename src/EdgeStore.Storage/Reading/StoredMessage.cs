namespace EdgeStore.Storage;

/// <summary>One stored message, exactly as received: the payload bytes are the broker's bytes.</summary>
public sealed record StoredMessage(
    long Id,
    string Topic,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? DeviceTimestamp,
    long? DeviceSequence,
    byte Qos,
    bool Retain,
    byte[] Payload);
