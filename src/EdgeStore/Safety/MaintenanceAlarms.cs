namespace EdgeStore.Safety;

/// <summary>
/// The alarms maintenance raises, for the status line and the metrics publisher: low disk (acks
/// stopped), WAL over its hard limit, and how far checkpoints lag. Counters only grow.
/// </summary>
internal sealed class MaintenanceAlarms
{
    private int _diskLow;
    private int _walOverLimit;
    private long _diskLowEvents;
    private long _walOverLimitEvents;
    private long _walBytes;
    private long _checkpointLagFrames;
    private long _storageFullEvents;

    public bool DiskLow
    {
        get => Volatile.Read(ref _diskLow) != 0;
        set
        {
            if (Interlocked.Exchange(ref _diskLow, value ? 1 : 0) == 0 && value)
            {
                Interlocked.Increment(ref _diskLowEvents);
            }
        }
    }

    public bool WalOverLimit
    {
        get => Volatile.Read(ref _walOverLimit) != 0;
        set
        {
            if (Interlocked.Exchange(ref _walOverLimit, value ? 1 : 0) == 0 && value)
            {
                Interlocked.Increment(ref _walOverLimitEvents);
            }
        }
    }

    public long DiskLowEvents => Interlocked.Read(ref _diskLowEvents);

    public long WalOverLimitEvents => Interlocked.Read(ref _walOverLimitEvents);

    public long StorageFullEvents => Interlocked.Read(ref _storageFullEvents);

    public long WalBytes
    {
        get => Interlocked.Read(ref _walBytes);
        set => Interlocked.Exchange(ref _walBytes, value);
    }

    /// <summary>WAL frames not yet copied into the database at the last checkpoint (log minus checkpointed).</summary>
    public long CheckpointLagFrames
    {
        get => Interlocked.Read(ref _checkpointLagFrames);
        set => Interlocked.Exchange(ref _checkpointLagFrames, value);
    }

    public void CountStorageFull() => Interlocked.Increment(ref _storageFullEvents);

    public string Describe() =>
        (DiskLow ? "disk low: acks stopped; " : string.Empty) +
        (WalOverLimit ? $"WAL over limit ({WalBytes / (1024 * 1024)} MiB); " : string.Empty);
}
