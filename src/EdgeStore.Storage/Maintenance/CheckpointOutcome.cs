namespace EdgeStore.Storage.Maintenance;

/// <summary>
/// The row `PRAGMA wal_checkpoint` returns: busy (a reader or writer kept it from completing),
/// frames in the WAL, and frames copied into the database. Lag = log minus checkpointed.
/// </summary>
public readonly record struct CheckpointOutcome(bool Busy, long LogFrames, long CheckpointedFrames)
{
    public long LagFrames => LogFrames > CheckpointedFrames ? LogFrames - CheckpointedFrames : 0;
}
