using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Systemd;

/// <summary>
/// READY=1, STOPPING=1 and the start/stop timeout extensions. It is registered as the first hosted service,
/// so its StartingAsync runs before any service opens the database, and READY=1 waits for
/// ApplicationStarted, which fires only after every StartAsync returned: the ingest service opens and
/// migrates the database in its StartAsync, so READY means "database open and migrated".
/// </summary>
internal sealed partial class SystemdLifecycleNotifier : IHostedLifecycleService, IDisposable
{
    private readonly ISystemdNotifier _notifier;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly SystemdNotifyOptions _options;
    private readonly ILogger<SystemdLifecycleNotifier> _logger;
    private readonly SystemdTimeoutExtension _timeoutExtension;
    private CancellationTokenRegistration _startedRegistration;
    private CancellationTokenRegistration _stoppingRegistration;

    public SystemdLifecycleNotifier(
        ISystemdNotifier notifier,
        IHostApplicationLifetime lifetime,
        SystemdNotifyOptions options,
        TimeProvider timeProvider,
        ILogger<SystemdLifecycleNotifier> logger)
    {
        _notifier = notifier;
        _lifetime = lifetime;
        _options = options;
        _logger = logger;
        _timeoutExtension = new SystemdTimeoutExtension(notifier, options, timeProvider, logger);
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (_notifier.IsEnabled)
        {
            _timeoutExtension.Begin("start", _options.MaxStartExtension);
            _startedRegistration = _lifetime.ApplicationStarted.Register(OnStarted);
            _stoppingRegistration = _lifetime.ApplicationStopping.Register(OnStopping);
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _timeoutExtension.End();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _startedRegistration.Dispose();
        _stoppingRegistration.Dispose();
        _timeoutExtension.Dispose();
    }

    private void OnStarted()
    {
        _timeoutExtension.End();
        if (_notifier.Notify(SystemdNotifyMessage.Ready))
        {
            LogReady(_logger);
        }
        else
        {
            LogNotifyFailed(_logger, SystemdNotifyMessage.Ready);
        }
    }

    private void OnStopping()
    {
        _notifier.Notify(SystemdNotifyMessage.Stopping);
        _timeoutExtension.Begin("stop", _options.MaxStopExtension);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Told systemd the daemon is ready (database open and migrated)")]
    private static partial void LogReady(ILogger logger);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning,
        Message = "Could not send {State} to systemd's notify socket; with Type=notify the unit will time out")]
    private static partial void LogNotifyFailed(ILogger logger, string state);
}
