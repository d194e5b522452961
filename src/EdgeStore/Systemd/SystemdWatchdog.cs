using EdgeStore.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Systemd;

/// <summary>
/// Feeds the systemd watchdog (WATCHDOG=1 every WatchdogSec/2) from READY until STOPPING, and only while
/// both the ingest loop and the batch writer beat within <see cref="SystemdNotifyOptions.WatchdogStaleAfter"/>.
/// A process that is alive but no longer storing telemetry is thereby restarted by systemd, which is the
/// point: a timer thread alone would keep a wedged daemon "healthy" forever.
/// </summary>
internal sealed partial class SystemdWatchdog : IHostedService, IDisposable
{
    private readonly ISystemdNotifier _notifier;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IngestHeartbeat _heartbeat;
    private readonly SystemdNotifyOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SystemdWatchdog> _logger;
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private bool _starved;
    private CancellationTokenRegistration _startedRegistration;
    private CancellationTokenRegistration _stoppingRegistration;

    public SystemdWatchdog(
        ISystemdNotifier notifier,
        IHostApplicationLifetime lifetime,
        IngestHeartbeat heartbeat,
        SystemdNotifyOptions options,
        TimeProvider timeProvider,
        ILogger<SystemdWatchdog> logger)
    {
        _notifier = notifier;
        _lifetime = lifetime;
        _heartbeat = heartbeat;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_notifier.IsEnabled && _options.WatchdogFeedInterval is { } feedInterval)
        {
            _startedRegistration = _lifetime.ApplicationStarted.Register(() => Begin(feedInterval));
            _stoppingRegistration = _lifetime.ApplicationStopping.Register(End);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        End();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _startedRegistration.Dispose();
        _stoppingRegistration.Dispose();
        End();
    }

    private void Begin(TimeSpan feedInterval)
    {
        lock (_lock)
        {
            _timer ??= _timeProvider.CreateTimer(static state => ((SystemdWatchdog)state!).Tick(), this, feedInterval, feedInterval);
        }

        LogWatchdogOn(_logger, _options.WatchdogInterval!.Value.TotalSeconds, feedInterval.TotalSeconds, _options.WatchdogStaleAfter.TotalSeconds);
    }

    // systemd stops watching once the unit leaves the running state, so keep-alives end with STOPPING=1.
    private void End()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            if (_timer is null)
            {
                return;
            }

            if (_heartbeat.IsAlive(_options.WatchdogStaleAfter))
            {
                _notifier.Notify(SystemdNotifyMessage.Watchdog);
                if (_starved)
                {
                    _starved = false;
                    LogWatchdogResumed(_logger);
                }

                return;
            }

            if (!_starved)
            {
                _starved = true;
                LogWatchdogStarved(_logger, _heartbeat.SinceIngestBeat.TotalSeconds, _heartbeat.SinceWriterBeat.TotalSeconds);
            }
        }
    }

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information,
        Message = "systemd watchdog on: WatchdogSec {WatchdogSeconds} s, keep-alive every {FeedSeconds} s while ingest and writer beat within {StaleAfterSeconds} s")]
    private static partial void LogWatchdogOn(ILogger logger, double watchdogSeconds, double feedSeconds, double staleAfterSeconds);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Error,
        Message = "Withholding the systemd watchdog keep-alive: ingest loop last beat {IngestBeatAgeSeconds:F1} s ago, writer {WriterBeatAgeSeconds:F1} s ago; systemd will restart EdgeStore unless they recover")]
    private static partial void LogWatchdogStarved(ILogger logger, double ingestBeatAgeSeconds, double writerBeatAgeSeconds);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "Ingest loop and writer beat again; systemd watchdog keep-alives resumed")]
    private static partial void LogWatchdogResumed(ILogger logger);
}
