using System.Threading.Channels;
using EdgeStore.Configuration;
using EdgeStore.Status;
using EdgeStore.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStore.Memory;

/// <summary>
/// Turns the pressure level into per-connection limits (docs/ARCHITECTURE.md, C2). The limits move on a ladder of three steps:
/// <list type="number">
/// <item>Critical: mmap 0, cache_size lowered to Memory:CriticalCacheSizeKiB, PRAGMA shrink_memory (the page
/// cache is anonymous memory and only that frees it; a mapping is reclaimable file cache).</item>
/// <item>Elevated: mmap = ceiling × Memory:ElevatedMmapPercent / 100, normal cache_size.</item>
/// <item>Normal: mmap = the ceiling (the configured value clamped by <see cref="MmapCap"/>), normal cache_size.</item>
/// </list>
/// A rise drops at once to the level's step (or stays lower). Going back up is one step per Memory:CalmPeriodSeconds
/// spent at Normal. Limits are pushed through <see cref="IMemoryLimitTarget"/>, which never waits for the writer,
/// so ingestion never stops because of pressure. A failed push is retried on the next tick.
/// </summary>
internal sealed partial class MmapGovernor : BackgroundService
{
    private const int CriticalStep = 0;
    private const int ElevatedStep = 1;
    private const int FullStep = 2;

    private readonly MemoryPressureMonitor _monitor;
    private readonly MmapCap _cap;
    private readonly MemorySettings _settings;
    private readonly DaemonStatus _status;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<MmapGovernor> _logger;
    private readonly MemoryFiles _files;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _reconcileGate = new(1, 1);
    private IMemoryLimitTarget? _target;
    private long _ceilingBytes;
    private long _normalCacheSizeBytes = 8L * 1024 * 1024;
    private int _step = FullStep;
    private MemoryLimits? _applied;
    private MemoryPressureLevel _lastLevel = MemoryPressureLevel.Normal;
    private DateTimeOffset _calmSince;

    public MmapGovernor(
        MemoryPressureMonitor monitor,
        MmapCap cap,
        IOptions<MemorySettings> settings,
        DaemonStatus status,
        MemoryGovernanceCounters counters,
        MemoryFiles files,
        TimeProvider timeProvider,
        ILogger<MmapGovernor> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(cap);
        _monitor = monitor;
        _cap = cap;
        _settings = settings.Value;
        _status = status;
        Counters = counters;
        _files = files;
        _timeProvider = timeProvider;
        _logger = logger;
        _ceilingBytes = Math.Min(256L * 1024 * 1024, cap.CapBytes);
        _calmSince = timeProvider.GetUtcNow();
        _monitor.LevelChanged += _ => _wake.Writer.TryWrite(true);
    }

    public MemoryGovernanceCounters Counters { get; }

    /// <summary>The mmap ceiling the governor returns to when calm: the configured value after the cap.</summary>
    public long CeilingBytes => Interlocked.Read(ref _ceilingBytes);

    /// <summary>The limits wanted now (applied or about to be).</summary>
    public MemoryLimits Wanted => LimitsFor(Volatile.Read(ref _step));

    /// <summary>
    /// Connects the governor to the open database. <paramref name="configuredMmapBytes"/> is Storage:MmapSizeMiB
    /// (clamped here), <paramref name="normalCacheSizeBytes"/> Storage:CacheSizeMiB. The current limits are pushed at once.
    /// </summary>
    public async Task AttachStorageAsync(IMemoryLimitTarget target, long configuredMmapBytes, long normalCacheSizeBytes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfNegative(normalCacheSizeBytes);
        var ceiling = _cap.Clamp(configuredMmapBytes, "Storage:MmapSizeMiB").AppliedBytes;

        // Under the gate: a reconcile running on the loop must not push to the old target with the new state.
        await _reconcileGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Interlocked.Exchange(ref _ceilingBytes, ceiling);
            Interlocked.Exchange(ref _normalCacheSizeBytes, normalCacheSizeBytes);
            Volatile.Write(ref _target, target);
            _applied = null;
        }
        finally
        {
            _reconcileGate.Release();
        }

        await ReconcileAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Connects the governor to the open database: the factory's current limits (opened with an mmap size
    /// already clamped by <see cref="MmapCap"/>) become the ceiling and the normal cache size.
    /// </summary>
    public Task AttachStorageAsync(SqliteConnectionFactory connections, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connections);
        return AttachStorageAsync(new SqliteMemoryLimitTarget(connections, _files), connections.MmapSizeBytes, connections.CacheSizeBytes, ct);
    }

    /// <summary>
    /// A new mmap ceiling from remote tuning or a reload; clamped by the cap (the result says whether, for
    /// the reported state). Takes effect at the next reconcile; pressure still lowers it.
    /// </summary>
    public MmapClampResult RequestCeiling(long requestedBytes, string source)
    {
        var result = _cap.Clamp(requestedBytes, source);
        Interlocked.Exchange(ref _ceilingBytes, result.AppliedBytes);
        _wake.Writer.TryWrite(true);
        return result;
    }

    /// <summary>
    /// A new normal cache_size from remote tuning (the size used at Normal and Elevated; Critical still lowers it).
    /// Keeps the attached target, so a maintenance-aware target stays in place. Takes effect at the next reconcile.
    /// </summary>
    public void RequestNormalCacheSize(long cacheSizeBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cacheSizeBytes);
        Interlocked.Exchange(ref _normalCacheSizeBytes, cacheSizeBytes);
        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Brings the limits in line with the level in force: lowers at once, raises one step after each calm
    /// period at Normal, and (re)pushes whatever is not yet applied. The loop calls it on every level change
    /// and every poll interval; tests call it directly.
    /// </summary>
    public async Task ReconcileAsync(CancellationToken ct)
    {
        await _reconcileGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = _timeProvider.GetUtcNow();
            var level = _monitor.Level;
            if (level != _lastLevel)
            {
                _lastLevel = level;
                _calmSince = now;
            }

            var allowed = level switch
            {
                MemoryPressureLevel.Critical => CriticalStep,
                MemoryPressureLevel.Elevated => ElevatedStep,
                _ => FullStep,
            };

            if (_step > allowed)
            {
                _step = allowed;
            }
            else if (level == MemoryPressureLevel.Normal && _step < FullStep && now - _calmSince >= _settings.CalmPeriod)
            {
                _step++;
                _calmSince = now;
            }

            var wanted = LimitsFor(_step);
            if (_applied is { } applied && applied.MmapSizeBytes == wanted.MmapSizeBytes && applied.CacheSizeBytes == wanted.CacheSizeBytes)
            {
                return;
            }

            await PushAsync(wanted, level, ct).ConfigureAwait(false);
        }
        finally
        {
            _reconcileGate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReconcileAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogReconcileFailed(_logger, ex);
            }

            try
            {
                using var tick = new CancellationTokenSource(_settings.PollInterval, _timeProvider);
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, tick.Token);
                await _wake.Reader.WaitToReadAsync(wait.Token);
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The tick: time to check whether the calm period has passed.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _reconcileGate.Dispose();
        base.Dispose();
    }

    private MemoryLimits LimitsFor(int step)
    {
        var ceiling = CeilingBytes;
        var normalCache = Interlocked.Read(ref _normalCacheSizeBytes);
        return step switch
        {
            CriticalStep => new MemoryLimits(0, Math.Min(normalCache, _settings.CriticalCacheSizeBytes), ShrinkMemory: true),
            ElevatedStep => new MemoryLimits(ceiling * _settings.ElevatedMmapPercent / 100 / 4096 * 4096, normalCache, ShrinkMemory: false),
            _ => new MemoryLimits(ceiling, normalCache, ShrinkMemory: false),
        };
    }

    private async Task PushAsync(MemoryLimits wanted, MemoryPressureLevel level, CancellationToken ct)
    {
        var previous = _applied;
        var target = Volatile.Read(ref _target);
        MemoryLimitsOutcome? outcome = null;
        if (target is not null)
        {
            try
            {
                outcome = await target.ApplyAsync(wanted, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Counters.RecordFailure();
                LogApplyFailed(_logger, ex, wanted.MmapSizeBytes, wanted.CacheSizeBytes);
                return;
            }
        }

        _applied = target is null ? null : wanted;
        _status.MmapLimitBytes = wanted.MmapSizeBytes;
        Counters.RecordLimits(wanted.MmapSizeBytes, wanted.CacheSizeBytes);
        if (previous is null)
        {
            if (outcome is not null)
            {
                LogAttached(_logger, wanted.MmapSizeBytes, CeilingBytes, _cap.CapBytes, wanted.CacheSizeBytes, outcome.MmapSizeReadBackBytes ?? -1);
            }

            return;
        }

        var oldMmap = previous.Value.MmapSizeBytes;
        var bound = outcome?.DatabaseBytes ?? long.MaxValue;
        var released = Math.Min(oldMmap, bound) - Math.Min(wanted.MmapSizeBytes, bound);
        var recycled = outcome?.ConnectionsRecycled ?? 0;
        Counters.RecordChange(recycled, released);
        // Lowering is what an operator watching a struggling gateway wants to see; climbing back is routine.
        var logLevel = wanted.MmapSizeBytes < oldMmap || wanted.CacheSizeBytes < previous.Value.CacheSizeBytes ? LogLevel.Warning : LogLevel.Information;
        LogLimits(_logger, logLevel, level, oldMmap, wanted.MmapSizeBytes, previous.Value.CacheSizeBytes, wanted.CacheSizeBytes,
            wanted.ShrinkMemory, recycled, Math.Max(0, released), outcome?.MmapSizeReadBackBytes ?? -1);
    }

    [LoggerMessage(EventId = 4120,
        Message = "Memory limits set for {Level}: mmap {OldMmapBytes} -> {MmapBytes}, cache {OldCacheBytes} -> {CacheBytes}, shrink_memory {ShrinkMemory}, {ConnectionsRecycled} connections recycled, ~{BytesReleased} bytes released, read back {ReadBackMmapBytes}")]
    private static partial void LogLimitsText(ILogger logger, LogLevel logLevel, MemoryPressureLevel level, string oldMmapBytes, string mmapBytes, string oldCacheBytes, string cacheBytes, bool shrinkMemory, int connectionsRecycled, long bytesReleased, string readBackMmapBytes);

    private static void LogLimits(ILogger logger, LogLevel logLevel, MemoryPressureLevel level, long oldMmapBytes, long mmapBytes, long oldCacheBytes, long cacheBytes,
        bool shrinkMemory, int connectionsRecycled, long bytesReleased, long readBackMmapBytes) =>
        LogLimitsText(logger, logLevel, level, ByteSize.Text(oldMmapBytes), ByteSize.Text(mmapBytes), ByteSize.Text(oldCacheBytes), ByteSize.Text(cacheBytes), shrinkMemory, connectionsRecycled, bytesReleased, ByteSize.Text(readBackMmapBytes));

    [LoggerMessage(EventId = 4123, Level = LogLevel.Information,
        Message = "Memory governor attached to the database: mmap limit {MmapBytes} (ceiling {CeilingBytes}, cap {CapBytes}), cache {CacheBytes}, read back {ReadBackMmapBytes}")]
    private static partial void LogAttachedText(ILogger logger, string mmapBytes, string ceilingBytes, string capBytes, string cacheBytes, string readBackMmapBytes);

    private static void LogAttached(ILogger logger, long mmapBytes, long ceilingBytes, long capBytes, long cacheBytes, long readBackMmapBytes) =>
        LogAttachedText(logger, ByteSize.Text(mmapBytes), ByteSize.Text(ceilingBytes), ByteSize.Text(capBytes), ByteSize.Text(cacheBytes), ByteSize.Text(readBackMmapBytes));

    [LoggerMessage(EventId = 4121, Level = LogLevel.Error, Message = "Applying memory limits (mmap {MmapBytes}, cache {CacheBytes}) failed; retrying at the next tick")]
    private static partial void LogApplyFailedText(ILogger logger, Exception exception, string mmapBytes, string cacheBytes);

    private static void LogApplyFailed(ILogger logger, Exception exception, long mmapBytes, long cacheBytes) =>
        LogApplyFailedText(logger, exception, ByteSize.Text(mmapBytes), ByteSize.Text(cacheBytes));

    [LoggerMessage(EventId = 4122, Level = LogLevel.Error, Message = "Memory governor reconcile failed; retrying at the next tick")]
    private static partial void LogReconcileFailed(ILogger logger, Exception exception);
}
