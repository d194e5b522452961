namespace EdgeStore.Storage;

/// <summary>
/// What one COMMIT made durable, reported only after COMMIT returned. <see cref="AckTags"/> holds the non-zero ack
/// tags of every record of the batch (stored, quarantined, recognised redelivery or QoS 2 release alike: each is now
/// safely handled, and a redelivery must be acknowledged too or the broker sends it again forever). The list belongs
/// to the receiver. <see cref="CommitDuration"/> spans BEGIN to COMMIT returning.
/// </summary>
/// <remarks>
/// Before any QoS 1 tag is acknowledged, <see cref="SettleAsync"/> must forget its packet id durably: the broker may
/// reuse an id as soon as it has the PUBACK, and a ledger record that outlived its PUBACK could swallow the next
/// message with that id.
/// </remarks>
public sealed class CommittedBatch
{
    private readonly BatchWriter? _writer;
    private readonly long[] _ackTags;

    // Aligned with _ackTags: the packet id to forget before that tag is acknowledged, or 0 (QoS 2: the id stays
    // recorded until PUBREL; a release was forgotten in the batch's own commit).
    private readonly ushort[] _forgetBeforeAck;

    internal CommittedBatch(BatchWriter? writer, long[] ackTags, ushort[] forgetBeforeAck, int inserted, int redeliveries, int quarantined, int released, TimeSpan commitDuration)
    {
        _writer = writer;
        _ackTags = ackTags;
        _forgetBeforeAck = forgetBeforeAck;
        Inserted = inserted;
        Redeliveries = redeliveries;
        Quarantined = quarantined;
        Released = released;
        CommitDuration = commitDuration;
    }

    public IReadOnlyList<long> AckTags => _ackTags;

    /// <summary>Rows added to messages.</summary>
    public int Inserted { get; }

    /// <summary>DUP=1 messages whose packet id was recorded: the same message again, acknowledged without a new row.</summary>
    public int Redeliveries { get; }

    /// <summary>Rows added to quarantine.</summary>
    public int Quarantined { get; }

    /// <summary>QoS 2 packet ids forgotten on PUBREL.</summary>
    public int Released { get; }

    public TimeSpan CommitDuration { get; }

    /// <summary>Messages in the batch: inserted + redeliveries + quarantined.</summary>
    public int Records => Inserted + Redeliveries + Quarantined;

    /// <summary>
    /// Call inside the writer's report callback, right before acknowledging. Forgets, in one small commit, the packet
    /// ids of the QoS 1 tags that <paramref name="willAcknowledge"/> accepts (a tag whose connection is gone is not
    /// acknowledged, so its id stays recorded and its redelivery is recognised), then returns those tags: only they may
    /// be acknowledged. Returns an empty list when the writer is stopping and the commit could not be made.
    /// </summary>
    public ValueTask<IReadOnlyList<long>> SettleAsync(Func<long, bool> willAcknowledge, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(willAcknowledge);
        var accepted = new List<long>(_ackTags.Length);
        List<ushort>? forget = null;
        for (var i = 0; i < _ackTags.Length; i++)
        {
            if (!willAcknowledge(_ackTags[i]))
            {
                continue;
            }

            accepted.Add(_ackTags[i]);
            if (_forgetBeforeAck[i] != 0)
            {
                (forget ??= []).Add(_forgetBeforeAck[i]);
            }
        }

        if (forget is null || _writer is null)
        {
            return ValueTask.FromResult<IReadOnlyList<long>>(accepted);
        }

        return ForgetThenAsync(forget, accepted, ct);
    }

    private async ValueTask<IReadOnlyList<long>> ForgetThenAsync(List<ushort> forget, List<long> accepted, CancellationToken ct) =>
        await _writer!.ForgetAsync(forget, ct).ConfigureAwait(false) ? accepted : [];
}
