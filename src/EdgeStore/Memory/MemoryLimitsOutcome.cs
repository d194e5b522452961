namespace EdgeStore.Memory;

/// <summary>
/// What storage reports after applying <see cref="MemoryLimits"/>: how many pooled connections it recycled,
/// the mmap_size read back from the connection it could check at once (null if none was open), and the
/// database file size (mapping can never exceed it, so it bounds the bytes-released estimate).
/// </summary>
internal sealed record MemoryLimitsOutcome(int ConnectionsRecycled, long? MmapSizeReadBackBytes, long? DatabaseBytes);
