using Microsoft.Extensions.Logging;

namespace EdgeStore.Systemd;

/// <summary>
/// Sends EXTEND_TIMEOUT_USEC at a fixed cadence while a start or a stop is under way, so a long migration
/// or final commit is not killed by TimeoutStartSec/TimeoutStopSec, but never beyond a cap: a phase that
/// runs past the cap is left to systemd's timeout, which is what a hung process deserves.
/// </summary>
internal sealed partial class SystemdTimeoutExtension : IDisposable
{
    private readonly ISystemdNotifier _notifier;
    private readonly SystemdNotifyOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private string _phase = string.Empty;
    private long _startedTimestamp;
    private TimeSpan _maxExtension;

    public SystemdTimeoutExtension(ISystemdNotifier notifier, SystemdNotifyOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _notifier = notifier;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Begins extending <paramref name="phase"/> ("start" or "stop"), replacing any phase under way.</summary>
    public void Begin(string phase, TimeSpan maxExtension)
    {
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

    /// <summary>Stops extending; the phase finished.</summary>
    public void End()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    public void Dispose() => End();

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
