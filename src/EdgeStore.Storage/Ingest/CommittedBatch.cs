namespace EdgeStore.Storage;

/// <summary>
/// What one COMMIT made durable, reported only after COMMIT returned. <see cref="AckTags"/> holds the non-zero ack
/// tags of every record of the batch (stored, quarantined, recognised redelivery or QoS 2 release alike: each is now
/// safely handled, and a redelivery must be acknowledged too or the broker sends it again forever). The list belongs
/// to the receiver. <see cref="CommitDuration"/> spans BEGIN to COMMIT returning.
/// </summary>
/// <remarks>
/// Acknowledge only what <see cref="SettleAsync"/> returns: it marks QoS 1 records as acknowledged durably before their
/// PUBACKs may go out, and holds back the newest QoS 1 acknowledgement until a later batch (see <see cref="BatchWriter"/>).
/// </remarks>
public sealed class CommittedBatch
{
    private readonly BatchWriter? _writer;
    private readonly long[] _ackTags;

    internal CommittedBatch(BatchWriter? writer, long[] ackTags, SettleEntry[] entries, int inserted, int redeliveries, int quarantined, int released, TimeSpan commitDuration)
    {
        _writer = writer;
        _ackTags = ackTags;
        Entries = entries;
        Inserted = inserted;
        Redeliveries = redeliveries;
        Quarantined = quarantined;
        Released = released;
        CommitDuration = commitDuration;
    }

    public IReadOnlyList<long> AckTags => _ackTags;

    /// <summary>Rows added to messages.</summary>
    public int Inserted { get; }

    /// <summary>DUP=1 messages recognised as redeliveries of committed ones: acknowledged without a new row.</summary>
    public int Redeliveries { get; }

    /// <summary>Rows added to quarantine.</summary>
    public int Quarantined { get; }

    /// <summary>QoS 2 packet ids forgotten on PUBREL.</summary>
    public int Released { get; }

    public TimeSpan CommitDuration { get; }

    /// <summary>Messages in the batch: inserted + redeliveries + quarantined.</summary>
    public int Records => Inserted + Redeliveries + Quarantined;

    /// <summary>Aligned with <see cref="AckTags"/>: what settling each tag involves.</summary>
    internal SettleEntry[] Entries { get; }

    /// <summary>
    /// Call inside the writer's report callback, right before acknowledging. <paramref name="willAcknowledge"/> says
    /// which tags can still reach the broker (a tag whose connection is gone is not acknowledged, and its record keeps
    /// its redelivery recognisable). Returns the tags to acknowledge now: this batch's and, possibly, one held back
    /// from an earlier batch. Empty when the writer is stopping and the marking commit could not be made.
    /// </summary>
    public ValueTask<IReadOnlyList<long>> SettleAsync(Func<long, bool> willAcknowledge, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(willAcknowledge);
        if (_writer is null)
        {
            return ValueTask.FromResult<IReadOnlyList<long>>([.. _ackTags.Where(willAcknowledge)]);
        }

        return _writer.SettleAsync(this, willAcknowledge, ct);
    }
}
