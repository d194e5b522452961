using EdgeStore.Status;
using EdgeStore.Storage.Maintenance;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Maintenance;

/// <summary>
/// The C3 protocol around anything that can shrink the database file. Entering: every later open
/// gets mmap 0, the writer is paused at a batch boundary and taken to mmap_size=0 (read back,
/// retried), the reader pool is cleared, and the coordinator waits until every live connection
/// reports mmap 0. Shrinking steps then check again, and check /proc/self/maps for the file, right
/// before they run. Leaving: the limit the memory governor allows is restored on the writer and for
/// new opens, the pool is cleared so readers reopen with it, and the writer resumes. One pass at a time.
/// </summary>
internal sealed partial class MaintenanceCoordinator
{
    private static readonly TimeSpan DrainPoll = TimeSpan.FromMilliseconds(50);
    private readonly IMaintenanceDatabase _database;
    private readonly MmapRestoreLimit _limitSource;
    private readonly DaemonStatus? _status;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly SemaphoreSlim _limitsLock = new(1, 1);
    private int _holdsMmapAtZero;

    public MaintenanceCoordinator(IMaintenanceDatabase database, MmapRestoreLimit limitSource, TimeProvider timeProvider, ILogger<MaintenanceCoordinator> logger, DaemonStatus? status = null)
    {
        _database = database;
        _limitSource = limitSource;
        _timeProvider = timeProvider;
        _logger = logger;
        _status = status;
    }

    public bool HoldsMmapAtZero => Volatile.Read(ref _holdsMmapAtZero) != 0;

    /// <summary>How long entering waits for in-use readers to close before it gives up on shrinking steps.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public IMaintenanceDatabase Database => _database;

    public async Task<T> ApplyLimitsAsync<T>(Func<bool, Task<T>> apply, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(apply);
        await _limitsLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await apply(HoldsMmapAtZero).ConfigureAwait(false);
        }
        finally
        {
            _limitsLock.Release();
        }
    }

    /// <summary>Takes the one-pass-at-a-time lock; false when a pass already runs.</summary>
    public async Task<bool> TryBeginAsync(TimeSpan wait, CancellationToken ct) =>
        await _oneAtATime.WaitAsync(wait, ct).ConfigureAwait(false);

    public void End() => _oneAtATime.Release();

    /// <summary>Enters the mmap-0 state; returns whether every live connection was verified at 0 within the drain timeout.</summary>
    public async Task<bool> EnterAsync(CancellationToken ct)
    {
        await _limitsLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Volatile.Write(ref _holdsMmapAtZero, 1);
            _database.SetMmapLimit(0);
        }
        finally
        {
            _limitsLock.Release();
        }

        long writerMmap;
        var pause = await _database.PauseWriterAsync(ct).ConfigureAwait(false);
        await using (pause.ConfigureAwait(false))
        {
            writerMmap = await _database.RunOnWriterAsync((connection, _) => Task.FromResult(_database.ApplyMmapSize(connection, 0)), ct).ConfigureAwait(false);
            _database.ClearReaderPool();
        }

        if (writerMmap != 0)
        {
            LogWriterRefused(_logger, writerMmap);
            return false;
        }

        var verified = await WaitForZeroAsync(DrainTimeout, ct).ConfigureAwait(false);
        if (verified)
        {
            LogEntered(_logger, _database.LiveConnectionMmapBytes().Count);
        }

        return verified;
    }

    /// <summary>Right before a shrinking step: every live connection at mmap 0 and no mapping of the file in this process.</summary>
    public bool ShrinkingIsSafe(out string reason)
    {
        var live = _database.LiveConnectionMmapBytes();
        var mapped = live.Count(bytes => bytes != 0);
        if (mapped > 0)
        {
            reason = $"{mapped} of {live.Count} connections still report mmap_size > 0";
            return false;
        }

        var mappings = ProcessMappings.Of(_database.DatabasePath).Count;
        if (mappings > 0)
        {
            reason = $"/proc/self/maps still holds {mappings} mappings of {_database.DatabasePath}";
            return false;
        }

        reason = string.Empty;
        return true;
    }

    /// <summary>Hands back: restores the governor's limit on the writer and for new opens, recycles readers, resumes the writer.</summary>
    public async Task<long> LeaveAsync(CancellationToken ct)
    {
        // Under the limits lock: the governor's own pushes wait, and read the limit again after this.
        long limit;
        await _limitsLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            limit = _limitSource.CurrentLimitBytes;
            _database.SetMmapLimit(limit);
            Volatile.Write(ref _holdsMmapAtZero, 0);
        }
        finally
        {
            _limitsLock.Release();
        }

        long writerMmap;
        var pause = await _database.PauseWriterAsync(ct).ConfigureAwait(false);
        await using (pause.ConfigureAwait(false))
        {
            writerMmap = await _database.RunOnWriterAsync((connection, _) => Task.FromResult(_database.ApplyMmapSize(connection, limit)), ct).ConfigureAwait(false);
            _database.ClearReaderPool();
        }

        if (_status is not null)
        {
            _status.MmapLimitBytes = limit;
        }

        LogLeft(_logger, limit, writerMmap);
        return limit;
    }

    private async Task<bool> WaitForZeroAsync(TimeSpan timeout, CancellationToken ct)
    {
        var started = _timeProvider.GetTimestamp();
        while (true)
        {
            if (ShrinkingIsSafe(out var reason))
            {
                return true;
            }

            if (_timeProvider.GetElapsedTime(started) >= timeout)
            {
                LogDrainTimedOut(_logger, timeout, reason);
                return false;
            }

            // In-use readers are disposed when their query closes; clearing again catches any opened before the limit changed.
            _database.ClearReaderPool();
            await Task.Delay(DrainPoll, _timeProvider, ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Information, Message = "Maintenance: all {Connections} live connections at mmap_size=0; no mapping of the database file")]
    private static partial void LogEntered(ILogger logger, int connections);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Maintenance: writer still reports mmap_size={MmapBytes} after retries; shrinking steps are skipped this window")]
    private static partial void LogWriterRefused(ILogger logger, long mmapBytes);

    [LoggerMessage(EventId = 4203, Level = LogLevel.Warning, Message = "Maintenance: connections did not reach mmap 0 within {Timeout} ({Reason}); shrinking steps are skipped this window")]
    private static partial void LogDrainTimedOut(ILogger logger, TimeSpan timeout, string reason);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Information, Message = "Maintenance: mmap limit restored to {LimitBytes} bytes (writer reports {WriterMmapBytes}); writer resumed")]
    private static partial void LogLeft(ILogger logger, long limitBytes, long writerMmapBytes);
}
