using EdgeStore.Safety;
using EdgeStore.Storage.Forwarding;
using EdgeStore.Storage.Maintenance;
using EdgeStore.Uplink;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Maintenance;

/// <summary>
/// One maintenance pass, in order: retention, VACUUM (when worth it and the disk has room),
/// wal_checkpoint(TRUNCATE) (busy result checked, retried once), PRAGMA optimize, quick_check.
/// Every step is bounded by the window's deadline: when it passes the pass stops cleanly between
/// steps or chunks, and the next window picks up (retention is stateless: "older than" is simply
/// asked again). All of it runs inside the coordinator's mmap-0 protocol; the writer is paused only
/// for each chunk or step, so ingestion continues in between.
/// </summary>
internal sealed partial class MaintenancePass
{
    /// <summary>A conservative VACUUM speed for an SD card: the step starts only if the window has this much time for the file.</summary>
    private const long VacuumBytesPerSecond = 5L * 1024 * 1024;

    private readonly MaintenanceCoordinator _coordinator;
    private readonly MaintenanceOptions _options;
    private readonly IDiskSpaceProbe _diskSpace;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public MaintenancePass(MaintenanceCoordinator coordinator, MaintenanceOptions options, IDiskSpaceProbe diskSpace, TimeProvider timeProvider, ILogger<MaintenancePass> logger)
    {
        _coordinator = coordinator;
        _options = options;
        _diskSpace = diskSpace;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>What retention does with rows the uplink has not forwarded (null: no uplink wired, rows go by age alone).</summary>
    internal UplinkState? Uplink { get; init; }

    /// <summary>Set by tests to force VACUUM whatever the free-page thresholds say.</summary>
    internal bool ForceVacuum { get; init; }

    /// <summary>Test seam: told "vacuum-start", "vacuum-end", "truncate-start", "truncate-end" around the shrinking steps.</summary>
    internal Action<string>? StepObserver { get; init; }

    private IMaintenanceDatabase Database => _coordinator.Database;

    public async Task<MaintenanceResult> RunAsync(string trigger, MaintenanceDeadline deadline, CancellationToken ct)
    {
        var result = new MaintenanceResult { Trigger = trigger, StartedAt = _timeProvider.GetUtcNow() };
        if (!await _coordinator.TryBeginAsync(TimeSpan.Zero, ct).ConfigureAwait(false))
        {
            return result with { FinishedAt = _timeProvider.GetUtcNow(), StoppedBecause = "another maintenance pass is running" };
        }

        LogStarting(_logger, trigger, deadline.WallEnd);
        try
        {
            var verified = false;
            try
            {
                verified = await _coordinator.EnterAsync(ct).ConfigureAwait(false);
                result = result with { MmapZeroVerified = verified };
                result = await RunStepsAsync(result, verified, deadline, ct).ConfigureAwait(false);
            }
            catch (SqliteException ex)
            {
                LogStepFailed(_logger, ex, trigger);
                result = result with { StoppedBecause = $"SQLite error {ex.SqliteErrorCode}: {ex.Message}" };
            }
            finally
            {
                // Hand back even when cancelled: the process must not stay at mmap 0 forever, nor the writer paused.
                try
                {
                    var restored = await _coordinator.LeaveAsync(CancellationToken.None).ConfigureAwait(false);
                    result = result with { RestoredMmapBytes = restored, FinishedAt = _timeProvider.GetUtcNow() };
                }
                catch (ObjectDisposedException)
                {
                    // The writer is gone (shutdown): later opens already use the restored limit; nothing else to hand back.
                    result = result with { FinishedAt = _timeProvider.GetUtcNow() };
                }
            }
        }
        finally
        {
            _coordinator.End();
        }

        LogFinished(_logger, result.Summary);
        return result;
    }

    private async Task<MaintenanceResult> RunStepsAsync(MaintenanceResult result, bool verified, MaintenanceDeadline deadline, CancellationToken ct)
    {
        var before = await OnWriterAsync((c, _) => Task.FromResult(DatabaseSpaceReport.Read(c)), ct).ConfigureAwait(false);
        result = result with { FileBytesBefore = before.FileBytes, FileBytesAfter = before.FileBytes };

        // 1. Retention, chunk by chunk.
        var now = _timeProvider.GetUtcNow();
        var (messages, messagesDone) = await SweepAsync(ForwardStream.Messages, _options.MessagesRetentionDays, now, deadline, ct).ConfigureAwait(false);
        result = result with { MessagesDeleted = messages };
        if (!messagesDone)
        {
            return Stopped(result, "the window closed during message retention; it resumes next window");
        }

        var (quarantine, quarantineDone) = await SweepAsync(ForwardStream.Quarantine, _options.QuarantineRetentionDays, now, deadline, ct).ConfigureAwait(false);
        result = result with { QuarantineDeleted = quarantine };
        if (!quarantineDone)
        {
            return Stopped(result, "the window closed during quarantine retention; it resumes next window");
        }

        // 2. VACUUM.
        if (deadline.HasPassed)
        {
            return Stopped(result, "the window closed before VACUUM");
        }

        result = await VacuumAsync(result, verified, deadline, ct).ConfigureAwait(false);

        // 3. TRUNCATE checkpoint, busy checked, one retry later in the window.
        if (deadline.HasPassed)
        {
            return Stopped(result, "the window closed before the TRUNCATE checkpoint");
        }

        result = await TruncateCheckpointAsync(result, verified, deadline, ct).ConfigureAwait(false);

        // 4. optimize.
        if (deadline.HasPassed)
        {
            return Stopped(result, "the window closed before PRAGMA optimize");
        }

        await OnWriterAsync(async (c, token) =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "PRAGMA optimize";
            await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
            return 0;
        }, ct).ConfigureAwait(false);

        // 5. quick_check on its own read-only, mmap-0 connection: it reads the whole file but blocks nobody.
        if (deadline.HasPassed)
        {
            return Stopped(result, "the window closed before quick_check");
        }

        var quickCheck = await QuickCheckAsync(ct).ConfigureAwait(false);
        if (quickCheck == "ok")
        {
            LogQuickCheckOk(_logger);
        }
        else
        {
            LogQuickCheckFailed(_logger, quickCheck);
        }

        var after = await OnWriterAsync((c, _) => Task.FromResult(DatabaseSpaceReport.Read(c)), ct).ConfigureAwait(false);
        return result with { QuickCheck = quickCheck, FileBytesAfter = after.FileBytes, Completed = true };
    }

    /// <summary>
    /// Deletes rows of <paramref name="stream"/> older than the retention, chunk by chunk. Rows the uplink has not
    /// forwarded are kept unless Uplink:RetentionDropsUnforwarded allows dropping them; then each one is counted.
    /// </summary>
    private async Task<(long Deleted, bool Done)> SweepAsync(ForwardStream stream, int retentionDays, DateTimeOffset now, MaintenanceDeadline deadline, CancellationToken ct)
    {
        if (retentionDays <= 0)
        {
            return (0, true);
        }

        var cutoff = (now - TimeSpan.FromDays(retentionDays)).ToUnixTimeMilliseconds();
        long total = 0;
        while (true)
        {
            if (deadline.HasPassed)
            {
                return (total, false);
            }

            ct.ThrowIfCancellationRequested();

            // Pause per chunk: the writer commits its queued batches between chunks.
            var rule = Uplink?.RetentionRule(stream) ?? UnforwardedRows.NotForwarded;
            var chunk = await OnWriterAsync(
                (c, token) => stream == ForwardStream.Messages
                    ? RetentionSweep.DeleteMessagesOlderThanAsync(c, cutoff, _options.RetentionChunkRows, rule, token)
                    : RetentionSweep.DeleteQuarantineOlderThanAsync(c, cutoff, _options.RetentionChunkRows, rule, token),
                ct).ConfigureAwait(false);
            Uplink?.CountDropped(stream, chunk.UnforwardedDeleted, "retention");
            var deleted = chunk.Deleted;
            total += deleted;
            if (deleted < _options.RetentionChunkRows)
            {
                return (total, true);
            }
        }
    }

    private async Task<MaintenanceResult> VacuumAsync(MaintenanceResult result, bool verified, MaintenanceDeadline deadline, CancellationToken ct)
    {
        var space = await OnWriterAsync((c, _) => Task.FromResult(DatabaseSpaceReport.Read(c)), ct).ConfigureAwait(false);
        string? skip = null;
        if (!verified)
        {
            skip = "connections were not verified at mmap 0";
        }
        else if (!ForceVacuum && (space.FreeBytes < _options.VacuumMinFreeBytes ||
                 (space.FreeRatio < _options.VacuumFreePageRatio && space.FreeBytes < _options.VacuumFreeBytes)))
        {
            skip = $"free pages {space.FreeRatio:P1} ({space.FreeBytes} bytes) are below the thresholds";
        }
        else if (!deadline.Allows(TimeSpan.FromSeconds(space.FileBytes / (double)VacuumBytesPerSecond)))
        {
            skip = $"the window has {deadline.Remaining} left, too little for a {space.FileBytes}-byte file";
        }
        else if (NotEnoughDisk(space.FileBytes) is { } diskReason)
        {
            skip = diskReason;
        }
        else if (!_coordinator.ShrinkingIsSafe(out var reason))
        {
            skip = reason;
        }

        if (skip is not null)
        {
            if (verified && space.FreelistPages > 0 && skip.StartsWith("free pages", StringComparison.Ordinal))
            {
                LogVacuumNotNeeded(_logger, skip);
            }
            else if (space.FreelistPages > 0 || !verified)
            {
                LogVacuumSkipped(_logger, skip);
            }

            return result with { VacuumSkippedBecause = skip };
        }

        var started = _timeProvider.GetTimestamp();
        await OnWriterAsync(async (c, token) =>
        {
            // VACUUM builds its copy in the temp database: on a file, not in RAM (temp_store=MEMORY would hold the whole database in memory).
            var tempStore = await ScalarAsync(c, "PRAGMA temp_store", token).ConfigureAwait(false);
            await ExecuteAsync(c, "PRAGMA temp_store=FILE", token).ConfigureAwait(false);
            try
            {
                StepObserver?.Invoke("vacuum-start");
                await ExecuteAsync(c, "VACUUM", token).ConfigureAwait(false);
            }
            finally
            {
                StepObserver?.Invoke("vacuum-end");
                await ExecuteAsync(c, "PRAGMA temp_store=" + tempStore.ToString(System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None).ConfigureAwait(false);
            }

            return 0;
        }, ct).ConfigureAwait(false);
        var after = await OnWriterAsync((c, _) => Task.FromResult(DatabaseSpaceReport.Read(c)), ct).ConfigureAwait(false);
        LogVacuumed(_logger, space.FileBytes, after.FileBytes, _timeProvider.GetElapsedTime(started));
        return result with { Vacuumed = true, FileBytesAfter = after.FileBytes };
    }

    private string? NotEnoughDisk(long fileBytes)
    {
        // VACUUM writes a full copy to a temp file and every page again through the WAL: the database's
        // size must be free on its own filesystem and on the temp directory's (twice when they are one).
        var databaseSpace = _diskSpace.Measure(Database.DatabasePath);
        var tempDirectory = Environment.GetEnvironmentVariable("SQLITE_TMPDIR") is { Length: > 0 } t ? t : Path.GetTempPath();
        var tempSpace = _diskSpace.Measure(tempDirectory);
        var sameFilesystem = databaseSpace.SameFilesystemAs(tempSpace);
        var needed = sameFilesystem ? 2 * fileBytes : fileBytes;
        if (databaseSpace.AvailableBytes < needed)
        {
            return $"only {databaseSpace.AvailableBytes} bytes free next to the database, VACUUM needs {needed}";
        }

        if (!sameFilesystem && tempSpace.AvailableBytes < fileBytes)
        {
            return $"only {tempSpace.AvailableBytes} bytes free in {tempDirectory}, VACUUM needs {fileBytes}";
        }

        return null;
    }

    private async Task<MaintenanceResult> TruncateCheckpointAsync(MaintenanceResult result, bool verified, MaintenanceDeadline deadline, CancellationToken ct)
    {
        if (!verified || !_coordinator.ShrinkingIsSafe(out _))
        {
            LogTruncateSkipped(_logger);
            return result;
        }

        var outcome = await TruncateOnceAsync(ct).ConfigureAwait(false);
        if (outcome.Busy)
        {
            LogCheckpointBusy(_logger, outcome.LogFrames, outcome.CheckpointedFrames, _options.CheckpointRetryDelay);
            if (deadline.Allows(_options.CheckpointRetryDelay))
            {
                // Wait unpaused: ingestion runs on, and readers holding old snapshots finish.
                await Task.Delay(_options.CheckpointRetryDelay, _timeProvider, ct).ConfigureAwait(false);
                if (_coordinator.ShrinkingIsSafe(out _))
                {
                    outcome = await TruncateOnceAsync(ct).ConfigureAwait(false);
                }
            }

            if (outcome.Busy)
            {
                LogCheckpointStillBusy(_logger, outcome.LogFrames, outcome.CheckpointedFrames);
            }
        }

        return result with { TruncateCheckpointBusy = outcome.Busy };
    }

    private Task<CheckpointOutcome> TruncateOnceAsync(CancellationToken ct) =>
        OnWriterAsync(async (c, token) =>
        {
            StepObserver?.Invoke("truncate-start");
            try
            {
                return await WalCheckpoint.RunAsync(c, CheckpointMode.Truncate, token).ConfigureAwait(false);
            }
            finally
            {
                StepObserver?.Invoke("truncate-end");
            }
        }, ct);

    private async Task<string> QuickCheckAsync(CancellationToken ct)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = Database.DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            await ExecuteAsync(connection, "PRAGMA mmap_size=0; PRAGMA busy_timeout=10000", ct).ConfigureAwait(false);
            return await DatabaseCheck.QuickCheckAsync(connection, ct).ConfigureAwait(false);
        }
    }

    private async Task<T> OnWriterAsync<T>(Func<SqliteConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        var pause = await Database.PauseWriterAsync(ct).ConfigureAwait(false);
        await using (pause.ConfigureAwait(false))
        {
            return await Database.RunOnWriterAsync(work, ct).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private MaintenanceResult Stopped(MaintenanceResult result, string reason)
    {
        LogStopped(_logger, reason);
        return result with { StoppedBecause = reason };
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Maintenance ({Trigger}) starting; window ends {WindowEnd:O}")]
    private static partial void LogStarting(ILogger logger, string trigger, DateTimeOffset windowEnd);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Maintenance result: {Summary}")]
    private static partial void LogFinished(ILogger logger, string summary);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "Maintenance stopped: {Reason}")]
    private static partial void LogStopped(ILogger logger, string reason);

    [LoggerMessage(EventId = 4304, Level = LogLevel.Error, Message = "Maintenance ({Trigger}) failed; connections are handed back and ingestion continues")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string trigger);

    [LoggerMessage(EventId = 4305, Level = LogLevel.Warning, Message = "VACUUM skipped: {Reason}")]
    private static partial void LogVacuumSkipped(ILogger logger, string reason);

    [LoggerMessage(EventId = 4306, Level = LogLevel.Debug, Message = "VACUUM not needed: {Reason}")]
    private static partial void LogVacuumNotNeeded(ILogger logger, string reason);

    [LoggerMessage(EventId = 4307, Level = LogLevel.Information, Message = "VACUUM done: {BytesBefore} -> {BytesAfter} bytes in {Elapsed}")]
    private static partial void LogVacuumed(ILogger logger, long bytesBefore, long bytesAfter, TimeSpan elapsed);

    [LoggerMessage(EventId = 4308, Level = LogLevel.Warning, Message = "TRUNCATE checkpoint busy ({LogFrames} WAL frames, {CheckpointedFrames} checkpointed); retrying once in {RetryDelay}")]
    private static partial void LogCheckpointBusy(ILogger logger, long logFrames, long checkpointedFrames, TimeSpan retryDelay);

    [LoggerMessage(EventId = 4309, Level = LogLevel.Warning, Message = "TRUNCATE checkpoint still busy ({LogFrames} WAL frames, {CheckpointedFrames} checkpointed); the WAL is truncated next window")]
    private static partial void LogCheckpointStillBusy(ILogger logger, long logFrames, long checkpointedFrames);

    [LoggerMessage(EventId = 4310, Level = LogLevel.Warning, Message = "TRUNCATE checkpoint skipped: connections were not verified at mmap 0")]
    private static partial void LogTruncateSkipped(ILogger logger);

    [LoggerMessage(EventId = 4311, Level = LogLevel.Information, Message = "quick_check: ok")]
    private static partial void LogQuickCheckOk(ILogger logger);

    [LoggerMessage(EventId = 4312, Level = LogLevel.Error, Message = "quick_check found problems: {Problems}")]
    private static partial void LogQuickCheckFailed(ILogger logger, string problems);
}
