namespace EdgeStore.Storage;

/// <summary>
/// One open connection of this process and the <c>mmap_size</c> it reported the last time the
/// profile or a memory limit was applied to it (read back, never the requested value). Idle pooled
/// readers are not listed: the pool is cleared whenever the limit drops, so none keeps a larger mapping.
/// </summary>
public sealed record ConnectionMapping(SqliteConnectionRole Role, long MmapSizeBytes);
