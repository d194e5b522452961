using EdgeStore.Maintenance;
using EdgeStore.Storage.Maintenance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Safety;

/// <summary>
/// Outside windows only PASSIVE checkpoints run (autocheckpoint). This guard stats the -wal file
/// (a metadata read; its content is never touched) and, when it passes the hard limit, runs a
/// PASSIVE checkpoint on the writer at a batch boundary, then RESTART if readers kept PASSIVE from
/// finishing; never TRUNCATE (that shrinks a file, so windows only). It raises an alarm and reports
/// how many frames the checkpoint lags. SQLite itself trims the WAL to journal_size_limit when it
/// next resets it, which clears the alarm.
/// </summary>
internal sealed partial class WalGuard : BackgroundService
{
    private readonly MaintenanceAttachment _attachment;
    private readonly MaintenanceOptions _options;
    private readonly MaintenanceAlarms _alarms;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public WalGuard(MaintenanceAttachment attachment, MaintenanceOptions options, MaintenanceAlarms alarms, TimeProvider timeProvider, ILogger<WalGuard> logger)
    {
        _attachment = attachment;
        _options = options;
        _alarms = alarms;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>One look: stat the WAL, checkpoint if it is over the limit. Returns the outcome when a checkpoint ran.</summary>
    public async Task<CheckpointOutcome?> CheckOnceAsync(CancellationToken ct)
    {
        if (_attachment.Coordinator is not { } coordinator)
        {
            return null;
        }

        var walPath = coordinator.Database.DatabasePath + "-wal";
        var walInfo = new FileInfo(walPath);
        var walBytes = walInfo.Exists ? walInfo.Length : 0;
        _alarms.WalBytes = walBytes;
        if (walBytes <= _options.WalHardLimitBytes)
        {
            if (_alarms.WalOverLimit)
            {
                LogWalBack(_logger, walBytes, _options.WalHardLimitBytes);
            }

            _alarms.WalOverLimit = false;
            return null;
        }

        if (!_alarms.WalOverLimit)
        {
            LogWalOverLimit(_logger, walBytes, _options.WalHardLimitBytes, walPath);
        }

        _alarms.WalOverLimit = true;
        if (coordinator.HoldsMmapAtZero)
        {
            return null; // a window is running; its TRUNCATE checkpoint handles the WAL
        }

        var outcome = await coordinator.Database.RunOnWriterAsync((c, token) => WalCheckpoint.RunAsync(c, CheckpointMode.Passive, token), ct);
        if (outcome.Busy || outcome.LagFrames > 0)
        {
            outcome = await coordinator.Database.RunOnWriterAsync((c, token) => WalCheckpoint.RunAsync(c, CheckpointMode.Restart, token), ct);
        }

        _alarms.CheckpointLagFrames = outcome.LagFrames;
        LogCheckpointed(_logger, outcome.Busy, outcome.LogFrames, outcome.CheckpointedFrames, outcome.LagFrames);
        return outcome;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _attachment.WaitAttachedAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await CheckOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is SqliteException or IOException or ObjectDisposedException or InvalidOperationException)
                {
                    LogFailed(_logger, ex);
                }

                await Task.Delay(_options.WalGuardInterval, _timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    [LoggerMessage(EventId = 4501, Level = LogLevel.Error, Message = "WAL over its hard limit: {WalBytes} bytes > {LimitBytes} ({WalPath}); checkpointing (PASSIVE, then RESTART) outside the window")]
    private static partial void LogWalOverLimit(ILogger logger, long walBytes, long limitBytes, string walPath);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Warning, Message = "WAL guard checkpoint: busy {Busy}, {LogFrames} WAL frames, {CheckpointedFrames} checkpointed, lag {LagFrames} frames")]
    private static partial void LogCheckpointed(ILogger logger, bool busy, long logFrames, long checkpointedFrames, long lagFrames);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Information, Message = "WAL back under its hard limit: {WalBytes} bytes <= {LimitBytes}")]
    private static partial void LogWalBack(ILogger logger, long walBytes, long limitBytes);

    [LoggerMessage(EventId = 4504, Level = LogLevel.Warning, Message = "WAL guard check failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
