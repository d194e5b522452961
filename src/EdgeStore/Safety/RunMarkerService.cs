using EdgeStore.Status;
using Microsoft.Extensions.Hosting;

namespace EdgeStore.Safety;

/// <summary>
/// Makes sure the run marker is written at start (resolving <see cref="StorageSafeMode"/> does it),
/// publishes storage-safe mode in the daemon status, and removes the marker once the host has
/// stopped cleanly (after ingestion committed and acknowledged what it held).
/// </summary>
internal sealed class RunMarkerService : IHostedService
{
    private readonly StorageSafeMode _safeMode;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly DaemonStatus? _status;

    public RunMarkerService(StorageSafeMode safeMode, IHostApplicationLifetime lifetime, DaemonStatus? status = null)
    {
        _safeMode = safeMode;
        _lifetime = lifetime;
        _status = status;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_status is not null)
        {
            _status.SafeMode = _safeMode.IsActive;
        }

        _lifetime.ApplicationStopped.Register(_safeMode.MarkCleanExit);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
