namespace EdgeStore.Storage;

/// <summary>Running totals of a <see cref="BatchWriter"/>, safe to read from any thread (metrics, status).</summary>
public sealed class BatchWriterCounters
{
    private long _batches;
    private long _inserted;
    private long _redeliveries;
    private long _quarantined;
    private long _commitFailures;
    private long _lastCommitTicks;

    /// <summary>Committed batches.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Rows added to messages.</summary>
    public long Inserted => Interlocked.Read(ref _inserted);

    /// <summary>Redeliveries recognised from the broker's session state (DUP=1, packet id recorded), acknowledged without a new row.</summary>
    public long Redeliveries => Interlocked.Read(ref _redeliveries);

    /// <summary>Rows added to quarantine.</summary>
    public long Quarantined => Interlocked.Read(ref _quarantined);

    /// <summary>Commit attempts that failed and were rolled back and retried (disk full, I/O error, busy).</summary>
    public long CommitFailures => Interlocked.Read(ref _commitFailures);

    /// <summary>BEGIN to COMMIT of the last committed batch.</summary>
    public TimeSpan LastCommitDuration => TimeSpan.FromTicks(Interlocked.Read(ref _lastCommitTicks));

    internal void AddBatch(int inserted, int redeliveries, int quarantined, TimeSpan commitDuration)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _inserted, inserted);
        Interlocked.Add(ref _redeliveries, redeliveries);
        Interlocked.Add(ref _quarantined, quarantined);
        Interlocked.Exchange(ref _lastCommitTicks, commitDuration.Ticks);
    }

    internal void AddCommitFailure() => Interlocked.Increment(ref _commitFailures);
}
