using EdgeStore.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;

namespace EdgeStore.Systemd;

/// <summary>
/// Mirrors <see cref="DaemonStatus.ToStatusLine"/> into STATUS= (what `systemctl status edgestore` shows),
/// from the first moment of start-up to the end of the stop. The line is compared every
/// <see cref="SystemdNotifyOptions.StatusInterval"/> and sent only when it changed.
/// </summary>
internal sealed class SystemdStatusReporter : IHostedLifecycleService, IDisposable
{
    private readonly ISystemdNotifier _notifier;
    private readonly DaemonStatus _status;
    private readonly SystemdNotifyOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private ITimer? _timer;
    private string? _lastSent;

    public SystemdStatusReporter(ISystemdNotifier notifier, DaemonStatus status, SystemdNotifyOptions options, TimeProvider timeProvider)
    {
        _notifier = notifier;
        _status = status;
        _options = options;
        _timeProvider = timeProvider;
    }

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        if (_notifier.IsEnabled)
        {
            lock (_lock)
            {
                _timer ??= _timeProvider.CreateTimer(
                    static state => ((SystemdStatusReporter)state!).Report(), this, TimeSpan.Zero, _options.StatusInterval);
            }
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        Report();
        return Task.CompletedTask;
    }

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        Report();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        Report();
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void Report()
    {
        lock (_lock)
        {
            if (_timer is null)
            {
                return;
            }

            var line = _status.ToStatusLine();
            if (line != _lastSent)
            {
                _notifier.Notify(SystemdNotifyMessage.Status(line));
                _lastSent = line;
            }
        }
    }
}
