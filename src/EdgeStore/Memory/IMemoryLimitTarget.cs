namespace EdgeStore.Memory;

/// <summary>
/// The storage side of the governor's contract: make the limits apply to every connection. New opens use
/// them at once; idle pooled readers are recycled so no idle connection keeps a larger mapping; readers
/// in use adopt them when returned; the writer applies them at its next batch boundary, reading each
/// PRAGMA back and retrying while SQLite ignores it (it does while a statement is unfinished). It must not
/// wait for the writer: ingestion never stops because of pressure.
/// </summary>
internal interface IMemoryLimitTarget
{
    ValueTask<MemoryLimitsOutcome> ApplyAsync(MemoryLimits limits, CancellationToken ct);
}
