namespace EdgeStore.Storage;

/// <summary>One ack tag's settlement: a QoS 1 message's ledger record (packet id and commit position), or nothing to do.</summary>
internal readonly record struct SettleEntry(long Tag, ushort PacketId, long Seq, bool IsQos1Message)
{
    /// <summary>The held-back QoS 1 acknowledgement, released when the writer idles or stops (see BatchWriter).</summary>
    public bool ReleasesHeld { get; init; }
}
