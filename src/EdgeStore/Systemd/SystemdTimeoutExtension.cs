using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Systemd;

/// <summary>
/// Sends EXTEND_TIMEOUT_USEC at a fixed cadence while a start or a stop is under way, so a long migration or final
/// commit is not killed by TimeoutStartSec/TimeoutStopSec, but never beyond a cap: a phase that runs past the cap is
/// left to systemd's timeout, which is what a hung process deserves.
/// <para>
/// The phases follow the host: the start runs from StartingAsync (the host calls every StartingAsync before any
/// StartAsync, so before the ingest service opens the database) to StartedAsync (just before ApplicationStarted,
/// where SystemdLifetime sends READY=1); the stop from StoppingAsync to StoppedAsync. On SIGTERM, SystemdLifetime calls
/// StopApplication (ApplicationStopping, where it sends STOPPING=1) before the host's StopAsync runs StoppingAsync, so
/// the stop extension follows STOPPING=1.
/// </para>
/// </summary>
internal sealed partial class SystemdTimeoutExtension : IHostedLifecycleService, IDisposable
{
    private readonly ISystemdNotifier _notifier;
    private readonly SystemdNotifyOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SystemdTimeoutExtension> _logger;
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private string _phase = string.Empty;
    private long _startedTimestamp;
    private TimeSpan _maxExtension;

    public SystemdTimeoutExtension(
        ISystemdNotifier notifier,
        SystemdNotifyOptions options,
        TimeProvider timeProvider,
        ILogger<SystemdTimeoutExtension> logger)
    {
        _notifier = notifier;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        Begin("start", _options.MaxStartExtension);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        End();
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        Begin("stop", _options.MaxStopExtension);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        End();
        return Task.CompletedTask;
    }

    public void Dispose() => End();

    /// <summary>Begins extending <paramref name="phase"/> ("start" or "stop"), replacing any phase under way.</summary>
    private void Begin(string phase, TimeSpan maxExtension)
    {
        if (!_notifier.IsEnabled)
        {
            return;
        }

        lock (_lock)
        {
            _timer?.Dispose();
            _phase = phase;
            _maxExtension = maxExtension;
            _startedTimestamp = _timeProvider.GetTimestamp();
            _notifier.Notify(SystemdNotifyMessage.ExtendTimeout(_options.TimeoutExtension));
            _timer = _timeProvider.CreateTimer(
                static state => ((SystemdTimeoutExtension)state!).Tick(),
                this,
                _options.TimeoutExtensionInterval,
                _options.TimeoutExtensionInterval);
        }
    }

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

            var elapsed = _timeProvider.GetElapsedTime(_startedTimestamp);
            if (elapsed >= _maxExtension)
            {
                _timer.Dispose();
                _timer = null;
                LogExtensionCapped(_logger, _phase, elapsed.TotalSeconds);
                return;
            }

            _notifier.Notify(SystemdNotifyMessage.ExtendTimeout(_options.TimeoutExtension));
        }
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning,
        Message = "The {Phase} has run for {ElapsedSeconds:F0} s; no longer asking systemd for more time, its timeout now applies")]
    private static partial void LogExtensionCapped(ILogger logger, string phase, double elapsedSeconds);
}
