namespace EdgeStore.Storage;

/// <summary>
/// One received message, decoded, on its way to disk. A non-null <paramref name="QuarantineReason"/> sends it to
/// the quarantine table instead of messages. <paramref name="AckTag"/> is opaque to storage (the host carries
/// the MQTT ack token there; 0 means nothing to acknowledge) and comes back in <see cref="CommittedBatch"/>.
/// </summary>
/// <remarks>
/// Redelivery is recognised from the broker's session state, never from the payload (docs/ARCHITECTURE.md, C1):
/// <see cref="PacketId"/> and <see cref="Redelivered"/> (the DUP flag) are all the writer looks at, with the order in
/// which redeliveries arrive. See <see cref="BatchWriter"/> for the rule.
/// </remarks>
public readonly record struct IngestRecord(
    string Topic,
    ReadOnlyMemory<byte> Payload,
    byte Qos,
    bool Retain,
    long ReceivedAtUnixMs,
    long? DeviceTimestampUnixMs,
    long? DeviceSequence,
    string? QuarantineReason,
    long AckTag)
{
    /// <summary>The broker's packet identifier of a QoS 1/2 PUBLISH (or PUBREL); 0 for QoS 0.</summary>
    public ushort PacketId { get; init; }

    /// <summary>The DUP flag: the broker says it may have sent this PUBLISH before.</summary>
    public bool Redelivered { get; init; }

    public IngestRecordKind Kind { get; init; }

    /// <summary>
    /// The <see cref="PayloadSlab"/> block <see cref="Payload"/> was carved from, or null when the payload has an array
    /// of its own. The writer owns that hold from the moment it takes the record and releases it once the record's
    /// batch is committed (or dropped), never earlier, since a failed commit binds the same payload again.
    /// </summary>
    public PayloadBlock? PayloadBlock { get; init; }

    /// <summary>
    /// A QoS 2 PUBREL: the broker has discarded the message, so its packet id may be reused once our PUBCOMP is out.
    /// The writer deletes the id from the ledger in a commit and only then reports <paramref name="ackTag"/>.
    /// </summary>
    public static IngestRecord Release(ushort packetId, long ackTag) =>
        new(string.Empty, ReadOnlyMemory<byte>.Empty, 2, false, 0, null, null, null, ackTag)
        {
            PacketId = packetId,
            Kind = IngestRecordKind.Release,
        };

    /// <summary>
    /// The broker started a new session (CONNACK session present = 0): it holds nothing unacknowledged for us, so
    /// every recorded packet id is stale and is forgotten before any message of the new session is looked up.
    /// </summary>
    public static IngestRecord NewSession() =>
        new(string.Empty, ReadOnlyMemory<byte>.Empty, 0, false, 0, null, null, null, 0) { Kind = IngestRecordKind.NewSession };

    /// <summary>
    /// A connection resumed the broker's session (session present = 1): the redeliveries that follow come in the order
    /// the broker first sent them, which is what tells an acknowledged record's redelivery from a reused packet id.
    /// </summary>
    public static IngestRecord SessionResumed() =>
        new(string.Empty, ReadOnlyMemory<byte>.Empty, 0, false, 0, null, null, null, 0) { Kind = IngestRecordKind.SessionResumed };
}
