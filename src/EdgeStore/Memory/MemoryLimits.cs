namespace EdgeStore.Memory;

/// <summary>The per-connection limits the governor wants in force; ShrinkMemory asks each connection to run PRAGMA shrink_memory.</summary>
internal readonly record struct MemoryLimits(long MmapSizeBytes, long CacheSizeBytes, bool ShrinkMemory);
