using EdgeStore.Maintenance;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Safety;

/// <summary>
/// Storage-safe mode (docs/ARCHITECTURE.md, C3): after <see cref="MaintenanceOptions.SafeModeUncleanExits"/> unclean
/// exits within <see cref="MaintenanceOptions.SafeModePeriod"/>, EdgeStore runs with mmap 0 (a bad SD
/// card raises SIGBUS only through a mapping) and says so, until an operator clears it
/// (`edgestore safe-mode clear`, or deleting the log file) or <see cref="MaintenanceOptions.SafeModeCalmPeriod"/>
/// passes without another unclean exit.
/// </summary>
internal sealed partial class StorageSafeMode
{
    private readonly string _stateDirectory;
    private readonly MaintenanceOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private UncleanExitLog _log;
    private bool _active;

    private StorageSafeMode(string stateDirectory, MaintenanceOptions options, TimeProvider timeProvider, ILogger logger, UncleanExitLog log, bool active, bool uncleanExitDetected)
    {
        _stateDirectory = stateDirectory;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _log = log;
        _active = active;
        UncleanExitDetected = uncleanExitDetected;
    }

    public string StateDirectory => _stateDirectory;

    /// <summary>True when the previous run ended without removing its run marker.</summary>
    public bool UncleanExitDetected { get; }

    public int RecentUncleanExits
    {
        get
        {
            lock (_gate)
            {
                var since = _timeProvider.GetUtcNow() - _options.SafeModePeriod;
                return _log.UncleanExits.Count(t => t >= since);
            }
        }
    }

    /// <summary>True while storage-safe mode holds; re-checks the calm period on every read.</summary>
    public bool IsActive
    {
        get
        {
            lock (_gate)
            {
                if (_active && CalmPeriodPassed(_log, _timeProvider.GetUtcNow(), _options))
                {
                    _active = false;
                    _log.SafeModeSince = null;
                    TrySave();
                    LogSafeModeEnded(_logger, _options.SafeModeCalmPeriod);
                }

                return _active;
            }
        }
    }

    /// <summary>The mmap limit storage may use: 0 in safe mode, else <paramref name="cappedBytes"/>.</summary>
    public long CapMmap(long cappedBytes) => IsActive ? 0 : cappedBytes;

    /// <summary>
    /// Runs once at start, before the database is opened: records an unclean exit if the previous
    /// run left its marker, decides safe mode, and writes this run's marker.
    /// </summary>
    public static StorageSafeMode Start(string stateDirectory, MaintenanceOptions options, TimeProvider timeProvider, ILogger logger)
    {
        var now = timeProvider.GetUtcNow();
        var logPath = UncleanExitLog.PathIn(stateDirectory);
        var log = UncleanExitLog.Load(logPath, out var problem);
        if (problem is not null)
        {
            LogUnreadable(logger, logPath, problem);
        }

        var unclean = RunMarker.Create(stateDirectory, now);
        if (unclean)
        {
            log.UncleanExits.Add(now);
        }

        var recent = log.UncleanExits.Count(t => t >= now - options.SafeModePeriod);
        if (unclean && recent >= options.SafeModeUncleanExits)
        {
            log.SafeModeSince ??= now;
        }
        else if (log.SafeModeSince is not null && CalmPeriodPassed(log, now, options))
        {
            log.SafeModeSince = null;
            LogSafeModeEnded(logger, options.SafeModeCalmPeriod);
        }

        var active = log.SafeModeSince is not null;
        if (unclean || problem is not null)
        {
            log.Save(logPath);
        }

        if (unclean)
        {
            LogUncleanExit(logger, recent, options.SafeModePeriod, RunMarker.PathIn(stateDirectory));
        }

        if (active)
        {
            LogSafeMode(logger, recent, options.SafeModePeriod, log.SafeModeSince!.Value, logPath);
        }

        return new StorageSafeMode(stateDirectory, options, timeProvider, logger, log, active, unclean);
    }

    /// <summary>Called on a clean exit: removes the run marker so the next start is not counted as unclean.</summary>
    public void MarkCleanExit() => RunMarker.Remove(_stateDirectory);

    /// <summary>What `edgestore safe-mode clear` does: forget the unclean exits; takes effect at the next start.</summary>
    public static bool Clear(string stateDirectory)
    {
        var path = UncleanExitLog.PathIn(stateDirectory);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    private static bool CalmPeriodPassed(UncleanExitLog log, DateTimeOffset now, MaintenanceOptions options)
    {
        var last = log.UncleanExits.Count > 0 ? log.UncleanExits.Max() : log.SafeModeSince ?? now;
        return now - last >= options.SafeModeCalmPeriod;
    }

    private void TrySave()
    {
        try
        {
            _log.Save(UncleanExitLog.PathIn(_stateDirectory));
        }
        catch (IOException ex)
        {
            LogUnreadable(_logger, UncleanExitLog.PathIn(_stateDirectory), ex.Message);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Previous run ended uncleanly (run marker {MarkerPath} was left behind); {RecentUncleanExits} unclean exits within {Period}")]
    private static partial void LogUncleanExit(ILogger logger, int recentUncleanExits, TimeSpan period, string markerPath);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Storage-safe mode: mmap is off (mmap_size=0) since {Since:O} after {RecentUncleanExits} unclean exits within {Period}; clear with `edgestore safe-mode clear` or delete {LogPath}")]
    private static partial void LogSafeMode(ILogger logger, int recentUncleanExits, TimeSpan period, DateTimeOffset since, string logPath);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Storage-safe mode ended: no unclean exit for {CalmPeriod}")]
    private static partial void LogSafeModeEnded(ILogger logger, TimeSpan calmPeriod);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Unclean-exit log {LogPath} could not be read or written ({Problem}); starting from an empty one")]
    private static partial void LogUnreadable(ILogger logger, string logPath, string problem);
}
