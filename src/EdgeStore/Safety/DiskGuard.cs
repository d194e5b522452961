using EdgeStore.Storage;
using EdgeStore.Maintenance;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Safety;

/// <summary>
/// Watches free space on the database's filesystem (C5). Below the threshold it stops
/// acknowledgements and raises an alarm, so the broker keeps the backlog and nothing is lost; with
/// <see cref="DiskFullPolicy.DeleteOldest"/> it first deletes the oldest messages so the database
/// reuses its own pages, and stops acks only when space falls below half the threshold. A
/// SQLITE_FULL from the writer closes the gate at once. It reopens by itself once free space is
/// back above the threshold plus a quarter (hysteresis, so it does not flap).
/// </summary>
internal sealed partial class DiskGuard : BackgroundService
{
    private readonly string _databasePath;
    private readonly MaintenanceOptions _options;
    private readonly IDiskSpaceProbe _probe;
    private readonly MaintenanceAlarms _alarms;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly MaintenanceAttachment? _eraser;
    private readonly object _gate = new();
    private TaskCompletionSource _reopened = NewSignal();
    private bool _acksAllowed = true;

    public DiskGuard(
        string databasePath,
        MaintenanceOptions options,
        IDiskSpaceProbe probe,
        MaintenanceAlarms alarms,
        TimeProvider timeProvider,
        ILogger<DiskGuard> logger,
        MaintenanceAttachment? eraser = null)
    {
        _databasePath = databasePath;
        _options = options;
        _probe = probe;
        _alarms = alarms;
        _timeProvider = timeProvider;
        _logger = logger;
        _eraser = eraser;
    }

    /// <summary>
    /// What the ingest path consults before it acknowledges committed messages. While acks are not allowed the broker
    /// keeps the backlog (unacknowledged QoS 1/2 messages are redelivered), so a full disk loses nothing.
    /// </summary>
    public bool AcksAllowed
    {
        get
        {
            lock (_gate)
            {
                return _acksAllowed;
            }
        }
    }

    public DiskSpace? LastMeasured { get; private set; }

    /// <summary>
    /// Completes once acks are allowed again. Awaiting it in the writer's commit callback also stops the writer, which
    /// fills the bounded queue and stops the socket reads.
    /// </summary>
    public Task WaitUntilAllowedAsync(CancellationToken ct)
    {
        Task reopened;
        lock (_gate)
        {
            if (_acksAllowed)
            {
                return Task.CompletedTask;
            }

            reopened = _reopened.Task;
        }

        return reopened.WaitAsync(ct);
    }

    /// <summary>The writer hit SQLITE_FULL: nothing of that batch committed; stop acks until space is back.</summary>
    public void ReportStorageFull()
    {
        _alarms.CountStorageFull();
        if (Close())
        {
            LogStorageFull(_logger, _databasePath);
        }
    }

    /// <summary>Bytes that must stay free: the larger of the absolute and the percentage threshold.</summary>
    public long ThresholdBytes(DiskSpace space) =>
        Math.Max(_options.MinFreeBytes, (long)(space.TotalBytes * _options.MinFreePercent / 100.0));

    /// <summary>Measures once and opens or closes the gate; returns what was measured.</summary>
    public DiskSpace Check()
    {
        var space = _probe.Measure(_databasePath);
        LastMeasured = space;
        var threshold = ThresholdBytes(space);
        var stopBelow = _options.DiskFullPolicy == DiskFullPolicy.DeleteOldest ? threshold / 2 : threshold;
        var resumeAt = threshold + (threshold / 4);
        _alarms.DiskLow = space.AvailableBytes < threshold;

        if (space.AvailableBytes < stopBelow)
        {
            if (Close())
            {
                LogDiskLow(_logger, space.AvailableBytes, threshold, _databasePath);
            }
        }
        else if (space.AvailableBytes >= resumeAt || (_options.DiskFullPolicy == DiskFullPolicy.DeleteOldest && space.AvailableBytes >= threshold))
        {
            if (Open())
            {
                LogDiskRecovered(_logger, space.AvailableBytes, threshold);
            }
        }

        return space;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var space = Check();
                if (_eraser is not null && _options.DiskFullPolicy == DiskFullPolicy.DeleteOldest && space.AvailableBytes < ThresholdBytes(space))
                {
                    var deleted = await _eraser.DeleteOldestAsync(ThresholdBytes(space), _options.RetentionChunkRows, stoppingToken);
                    if (deleted > 0)
                    {
                        LogDeletedOldest(_logger, deleted, space.AvailableBytes);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
            {
                LogCheckFailed(_logger, ex, _databasePath);
            }

            try
            {
                await Task.Delay(_options.DiskCheckInterval, _timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private bool Close()
    {
        lock (_gate)
        {
            if (!_acksAllowed)
            {
                return false;
            }

            _acksAllowed = false;
            _reopened = NewSignal();
            return true;
        }
    }

    private bool Open()
    {
        TaskCompletionSource reopened;
        lock (_gate)
        {
            if (_acksAllowed)
            {
                return false;
            }

            _acksAllowed = true;
            reopened = _reopened;
        }

        reopened.TrySetResult();
        return true;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Disk low: {AvailableBytes} free, threshold {ThresholdBytes}, on the filesystem of {DatabasePath}; acknowledgements stopped, the broker keeps the backlog")]
    private static partial void LogDiskLowText(ILogger logger, string availableBytes, string thresholdBytes, string databasePath);

    private static void LogDiskLow(ILogger logger, long availableBytes, long thresholdBytes, string databasePath) =>
        LogDiskLowText(logger, ByteSize.Text(availableBytes), ByteSize.Text(thresholdBytes), databasePath);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Disk space back: {AvailableBytes} free (threshold {ThresholdBytes}); acknowledgements resume")]
    private static partial void LogDiskRecoveredText(ILogger logger, string availableBytes, string thresholdBytes);

    private static void LogDiskRecovered(ILogger logger, long availableBytes, long thresholdBytes) =>
        LogDiskRecoveredText(logger, ByteSize.Text(availableBytes), ByteSize.Text(thresholdBytes));

    [LoggerMessage(EventId = 4103, Level = LogLevel.Error, Message = "Database {DatabasePath} is full (SQLITE_FULL): acknowledgements stopped until space returns")]
    private static partial void LogStorageFull(ILogger logger, string databasePath);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Disk low ({AvailableBytes} free): deleted the {Rows} oldest messages (DiskFullPolicy DeleteOldest)")]
    private static partial void LogDeletedOldestText(ILogger logger, int rows, string availableBytes);

    private static void LogDeletedOldest(ILogger logger, int rows, long availableBytes) =>
        LogDeletedOldestText(logger, rows, ByteSize.Text(availableBytes));

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Disk space check for {DatabasePath} failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, string databasePath);
}
