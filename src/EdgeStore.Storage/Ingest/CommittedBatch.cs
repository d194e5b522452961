namespace EdgeStore.Storage;

/// <summary>
/// What one COMMIT made durable, reported only after COMMIT returned. <paramref name="AckTags"/> holds the
/// non-zero ack tags of every record of the batch (inserted, duplicate or quarantined alike: each is now
/// safely handled, and a duplicate must be acknowledged too or the broker redelivers it forever).
/// The list belongs to the receiver. <paramref name="CommitDuration"/> spans BEGIN to COMMIT returning.
/// </summary>
public sealed record CommittedBatch(IReadOnlyList<long> AckTags, int Inserted, int Duplicates, int Quarantined, TimeSpan CommitDuration)
{
    /// <summary>Records in the batch: inserted + duplicates + quarantined.</summary>
    public int Records => Inserted + Duplicates + Quarantined;
}
