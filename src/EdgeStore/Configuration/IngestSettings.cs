namespace EdgeStore.Configuration;

/// <summary>The `Ingest` section: the bounded queue between the socket and the disk, and group commit.</summary>
internal sealed class IngestSettings
{
    /// <summary>
    /// Messages received and not yet handed to the writer. When the queue is full EdgeStore stops reading the socket,
    /// so this number bounds the memory ingestion can use (docs/ARCHITECTURE.md, C2).
    /// </summary>
    public int QueueCapacity { get; set; } = 20_000;

    /// <summary>
    /// The same queue bounded in payload bytes (MiB): whichever bound is reached first stops the socket being read, so
    /// a burst of large payloads cannot fill the memory a small cgroup allows. One payload larger than this is still
    /// taken when the queue holds nothing.
    /// </summary>
    public int QueueCapacityMiB { get; set; } = 16;

    /// <summary>A batch is committed when it holds this many rows...</summary>
    public int MaxBatchRows { get; set; } = 2000;

    /// <summary>...or when its oldest row has waited this long.</summary>
    public int MaxBatchLatencyMs { get; set; } = 20;
}
