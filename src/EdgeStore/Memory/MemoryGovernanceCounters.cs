namespace EdgeStore.Memory;

/// <summary>Counters of the memory capability for `edgestore status` and the metrics publisher. Thread-safe reads.</summary>
internal sealed class MemoryGovernanceCounters
{
    private long _limitChanges;
    private long _mmapLimitBytes;
    private long _cacheSizeBytes;
    private long _connectionsRecycled;
    private long _bytesReleased;
    private long _applyFailures;

    /// <summary>Times the governor changed the limits (down or up).</summary>
    public long LimitChanges => Interlocked.Read(ref _limitChanges);

    public long MmapLimitBytes => Interlocked.Read(ref _mmapLimitBytes);

    public long CacheSizeBytes => Interlocked.Read(ref _cacheSizeBytes);

    public long ConnectionsRecycled => Interlocked.Read(ref _connectionsRecycled);

    /// <summary>Estimate: the sum of (old mapping - new mapping) over every lowering, each bounded by the file size.</summary>
    public long BytesReleased => Interlocked.Read(ref _bytesReleased);

    public long ApplyFailures => Interlocked.Read(ref _applyFailures);

    internal void RecordLimits(long mmapLimitBytes, long cacheSizeBytes)
    {
        Interlocked.Exchange(ref _mmapLimitBytes, mmapLimitBytes);
        Interlocked.Exchange(ref _cacheSizeBytes, cacheSizeBytes);
    }

    internal void RecordChange(int connectionsRecycled, long bytesReleased)
    {
        Interlocked.Increment(ref _limitChanges);
        Interlocked.Add(ref _connectionsRecycled, connectionsRecycled);
        Interlocked.Add(ref _bytesReleased, Math.Max(0, bytesReleased));
    }

    internal void RecordFailure() => Interlocked.Increment(ref _applyFailures);
}
