using EdgeStore.Status;
using EdgeStore.Safety;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Maintenance;

/// <summary>
/// Runs a maintenance pass when a window opens (once per opening) and on demand
/// (<see cref="RunNowAsync"/>, for `cmd/maintenance`). It re-reads the clock at least once a minute
/// instead of sleeping until the next window, so a clock that jumps (NTP on a Pi without RTC, DST)
/// is followed, never missed. The last result is kept for status and metrics.
/// </summary>
internal sealed partial class MaintenanceScheduler : BackgroundService
{
    private static readonly TimeSpan LongestSleep = TimeSpan.FromMinutes(1);
    private readonly MaintenanceAttachment _attachment;
    // Replaced as a whole by Reconfigure (remote tuning); each pass and each loop turn reads the current ones.
    private MaintenanceOptions _options;
    private MaintenanceSchedule _schedule;
    private readonly IDiskSpaceProbe _diskSpace;
    private readonly StorageSafeMode? _safeMode;
    private readonly DaemonStatus? _status;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private MaintenanceResult? _lastResult;
    private DateTimeOffset? _lastOpeningRun;

    public MaintenanceScheduler(
        MaintenanceAttachment attachment,
        MaintenanceOptions options,
        IDiskSpaceProbe diskSpace,
        TimeProvider timeProvider,
        ILoggerFactory loggerFactory,
        StorageSafeMode? safeMode = null,
        DaemonStatus? status = null)
    {
        _attachment = attachment;
        _options = options;
        _schedule = new MaintenanceSchedule(options.Windows, options.TimeZone);
        _diskSpace = diskSpace;
        _safeMode = safeMode;
        _status = status;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<MaintenanceScheduler>();
    }

    public MaintenanceSchedule Schedule => Volatile.Read(ref _schedule);

    public MaintenanceOptions Options => Volatile.Read(ref _options);

    /// <summary>
    /// Takes new windows and retention live (remote tuning). A pass already running finishes with the options it
    /// started with; the loop sees the new schedule at its next turn, within a minute.
    /// </summary>
    public void Reconfigure(IReadOnlyList<MaintenanceWindow> windows, int messagesRetentionDays, int quarantineRetentionDays)
    {
        var options = Options with { Windows = windows, MessagesRetentionDays = messagesRetentionDays, QuarantineRetentionDays = quarantineRetentionDays };
        var schedule = new MaintenanceSchedule(windows, options.TimeZone);
        Volatile.Write(ref _options, options);
        Volatile.Write(ref _schedule, schedule);
        var next = schedule.Evaluate(_timeProvider.GetUtcNow());
        LogReconfigured(_logger, MaintenanceWindow.Describe(windows), messagesRetentionDays, quarantineRetentionDays, next.NextStart ?? next.OpenUntil);
    }

    public MaintenanceResult? LastResult => Volatile.Read(ref _lastResult);

    /// <summary>Runs a pass now (outside any window), bounded by Maintenance:OnDemandBudget.</summary>
    public async Task<MaintenanceResult> RunNowAsync(CancellationToken ct)
    {
        var coordinator = await _attachment.WaitAttachedAsync(ct);
        return await RunPassAsync(coordinator, "on-demand", MaintenanceDeadline.After(_timeProvider, Options.OnDemandBudget), ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _attachment.WaitAttachedAsync(stoppingToken);
            var first = Schedule.Evaluate(_timeProvider.GetUtcNow());
            LogScheduled(_logger, MaintenanceWindow.Describe(Schedule.Windows), first.NextStart ?? first.OpenUntil, Schedule.TimeZone.Id);
            while (!stoppingToken.IsCancellationRequested)
            {
                UpdateSafeModeStatus();
                var now = _timeProvider.GetUtcNow();
                var snapshot = Schedule.Evaluate(now);
                if (snapshot is { IsOpen: true, OpenedAt: { } openedAt, OpenUntil: { } openUntil } && _lastOpeningRun != openedAt
                    && _attachment.Coordinator is { } coordinator)
                {
                    _lastOpeningRun = openedAt;
                    await RunPassAsync(coordinator, "window", new MaintenanceDeadline(_timeProvider, openUntil), stoppingToken);
                    continue;
                }

                var sleep = LongestSleep;
                if (snapshot.NextStart is { } next && next - now < sleep)
                {
                    sleep = next - now;
                }

                await Task.Delay(sleep > TimeSpan.Zero ? sleep : TimeSpan.FromMilliseconds(10), _timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutdown: a running pass already handed the connections back in its finally.
        }
    }

    private async Task<MaintenanceResult> RunPassAsync(MaintenanceCoordinator coordinator, string trigger, MaintenanceDeadline deadline, CancellationToken ct)
    {
        var pass = new MaintenancePass(coordinator, Options, _diskSpace, _timeProvider, _loggerFactory.CreateLogger<MaintenancePass>()) { Uplink = _attachment.Uplink };
        MaintenanceResult result;
        try
        {
            result = await pass.RunAsync(trigger, deadline, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Maintenance failing must never stop the daemon: ingestion goes on, the next window tries again.
            LogPassFailed(_logger, ex, trigger);
            result = new MaintenanceResult { Trigger = trigger, StartedAt = _timeProvider.GetUtcNow(), FinishedAt = _timeProvider.GetUtcNow(), StoppedBecause = ex.GetType().Name + ": " + ex.Message };
        }

        Volatile.Write(ref _lastResult, result);
        return result;
    }

    private void UpdateSafeModeStatus()
    {
        if (_status is not null && _safeMode is not null)
        {
            _status.SafeMode = _safeMode.IsActive;
        }
    }

    [LoggerMessage(EventId = 4402, Level = LogLevel.Error, Message = "Maintenance ({Trigger}) failed; ingestion continues and the next window tries again")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string trigger);

    [LoggerMessage(EventId = 4409, Level = LogLevel.Information, Message = "Maintenance reconfigured: {Windows}, retention {MessagesDays} days for messages and {QuarantineDays} days for quarantine; next at {Next:O}")]
    private static partial void LogReconfigured(ILogger logger, string windows, int messagesDays, int quarantineDays, DateTimeOffset? next);

    [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "Maintenance: {Windows} in time zone {TimeZone}; next at {Next:O}")]
    private static partial void LogScheduled(ILogger logger, string windows, DateTimeOffset? next, string timeZone);
}
