using Microsoft.Extensions.Logging;

namespace EdgeStore.Storage;

/// <summary>Source-generated log lines of the storage layer; each one a fact an operator can act on.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Opened database {Path} at schema version {SchemaVersion} (journal {JournalMode}, synchronous {Synchronous}, mmap {MmapMiB:0.#} MiB, cache {CacheMiB:0.#} MiB)")]
    public static partial void DatabaseOpened(ILogger logger, string path, int schemaVersion, string journalMode, string synchronous, double mmapMiB, double cacheMiB);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Migrated database {Path} to schema version {SchemaVersion} in {Seconds:F1} s: {Description}")]
    public static partial void Migrated(ILogger logger, string path, int schemaVersion, string description, double seconds);

    [LoggerMessage(EventId = 3018, Level = LogLevel.Information, Message = "Migrating database {Path} from schema version {FromVersion} to {ToVersion} ({Rows} rows; every row is kept): {Description}")]
    public static partial void Migrating(ILogger logger, string path, int fromVersion, int toVersion, long rows, string description);

    [LoggerMessage(EventId = 3019, Level = LogLevel.Information, Message = "Still migrating database {Path} to schema version {SchemaVersion} ({Rows} rows, {Seconds:F0} s so far)")]
    public static partial void MigrationProgress(ILogger logger, string path, int schemaVersion, long rows, double seconds);

    [LoggerMessage(EventId = 3022, Level = LogLevel.Information, Message = "Stop requested while migrating database {Path} to schema version {ToVersion}: rolling that step back as soon as SQLite reaches its next progress check (an index build's sort runs to its end first)")]
    public static partial void MigrationStopRequested(ILogger logger, string path, int toVersion);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Warning, Message = "Stopped migrating database {Path} to schema version {ToVersion} after {Seconds:F1} s because EdgeStore is stopping: that step was rolled back, the file is still at schema version {FromVersion} with every row, and the migration starts again at the next start")]
    public static partial void MigrationStopped(ILogger logger, string path, int fromVersion, int toVersion, double seconds);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "SQLite set PRAGMA {Pragma} to {Actual} instead of the requested {Requested}")]
    public static partial void PragmaCapped(ILogger logger, string pragma, string requested, string actual);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "PRAGMA mmap_size={Requested} not applied (connection reports {Actual}) on attempt {Attempt}; retrying")]
    public static partial void MmapNotApplied(ILogger logger, long requested, long actual, int attempt);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Memory limits changed: mmap {PreviousMmapSizeBytes} -> {MmapSizeBytes}, cache {PreviousCacheSizeBytes} -> {CacheSizeBytes}, shrink memory {ShrinkMemory}; reader pool cleared")]
    private static partial void MemoryLimitsChangedText(ILogger logger, string previousMmapSizeBytes, string mmapSizeBytes, string previousCacheSizeBytes, string cacheSizeBytes, bool shrinkMemory);

    public static void MemoryLimitsChanged(ILogger logger, long previousMmapSizeBytes, long mmapSizeBytes, long previousCacheSizeBytes, long cacheSizeBytes, bool shrinkMemory) =>
        MemoryLimitsChangedText(logger, ByteSize.Text(previousMmapSizeBytes), ByteSize.Text(mmapSizeBytes), ByteSize.Text(previousCacheSizeBytes), ByteSize.Text(cacheSizeBytes), shrinkMemory);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Writer applied memory limits at a batch boundary: mmap {MmapSizeBytes} (read back), cache {CacheSizeBytes}")]
    private static partial void WriterMemoryLimitsAppliedText(ILogger logger, string mmapSizeBytes, string cacheSizeBytes);

    public static void WriterMemoryLimitsApplied(ILogger logger, long mmapSizeBytes, long cacheSizeBytes) =>
        WriterMemoryLimitsAppliedText(logger, ByteSize.Text(mmapSizeBytes), ByteSize.Text(cacheSizeBytes));

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "Committed batch of {Rows} records ({Inserted} inserted, {Redeliveries} redeliveries acknowledged without storing, {Quarantined} quarantined) in {CommitMilliseconds} ms")]
    public static partial void BatchCommitted(ILogger logger, int rows, int inserted, int redeliveries, int quarantined, double commitMilliseconds);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Error, Message = "Commit of a batch of {Rows} records failed (attempt {Attempt}, SQLite error {SqliteErrorCode}); rolled back, nothing acknowledged, retrying in {RetryDelay}")]
    public static partial void CommitFailed(ILogger logger, int rows, int attempt, int sqliteErrorCode, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "Commit succeeded again after {Attempts} attempts")]
    public static partial void CommitRecovered(ILogger logger, int attempts);

    [LoggerMessage(EventId = 3013, Level = LogLevel.Warning, Message = "Writer stopped while a batch of {Rows} records could not be committed; none of it was acknowledged, the broker will redeliver")]
    public static partial void UncommittedAtStop(ILogger logger, int rows);

    [LoggerMessage(EventId = 3014, Level = LogLevel.Information, Message = "Writer paused at a batch boundary")]
    public static partial void WriterPaused(ILogger logger);

    [LoggerMessage(EventId = 3015, Level = LogLevel.Information, Message = "Writer resumed after {PausedFor}")]
    public static partial void WriterResumed(ILogger logger, TimeSpan pausedFor);

    [LoggerMessage(EventId = 3016, Level = LogLevel.Information, Message = "Writer stopped: {Batches} batches, {Inserted} inserted, {Redeliveries} redeliveries acknowledged without storing, {Quarantined} quarantined")]
    public static partial void WriterStopped(ILogger logger, long batches, long inserted, long redeliveries, long quarantined);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Debug, Message = "A DUP=1 message with packet id {PacketId} came after newer redeliveries (its acknowledged record is at {Seq}, redeliveries seen up to {MaxSeq}): the broker reused the id, so it is a new message and is stored")]
    public static partial void PacketIdReused(ILogger logger, ushort packetId, long seq, long maxSeq);

    [LoggerMessage(EventId = 3017, Level = LogLevel.Error, Message = "Marking {PacketIds} packet ids as acknowledged failed (attempt {Attempt}, SQLite error {SqliteErrorCode}); their acknowledgements wait, retrying in {RetryDelay}")]
    public static partial void SettleFailed(ILogger logger, int packetIds, int attempt, int sqliteErrorCode, TimeSpan retryDelay, Exception exception);
}
