using EdgeStore.Memory;

namespace EdgeStore.Tests.Memory;

/// <summary>Stands in for storage in governor unit tests: records every push; can be told to fail.</summary>
internal sealed class RecordingLimitTarget : IMemoryLimitTarget
{
    public List<MemoryLimits> Applied { get; } = [];

    public int FailuresToThrow { get; set; }

    public long DatabaseBytes { get; set; } = 100L * 1024 * 1024;

    public ValueTask<MemoryLimitsOutcome> ApplyAsync(MemoryLimits limits, CancellationToken ct)
    {
        if (FailuresToThrow > 0)
        {
            FailuresToThrow--;
            throw new InvalidOperationException("database is locked");
        }

        Applied.Add(limits);
        return ValueTask.FromResult(new MemoryLimitsOutcome(ConnectionsRecycled: 3, limits.MmapSizeBytes, DatabaseBytes));
    }
}
