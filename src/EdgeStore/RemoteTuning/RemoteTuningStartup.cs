using EdgeStore.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Re-applies the persisted remote tuning before anything else starts: the tuned values are written into the settings
/// that the ingest service, the PRAGMA profile and the others start from, so the first message stored after a restart
/// already uses them. <see cref="RemoteTuningServiceCollectionExtensions.AddRemoteTuning"/> registers this hosted
/// service first of all, because hosted services start in registration order.
/// </summary>
internal sealed class RemoteTuningStartup(RemoteTuner tuner, EdgeStoreSettings settings, LogLevelSwitch levelSwitch) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var effective = tuner.LoadAtStart();
        effective.WriteTo(settings);
        levelSwitch.Set(Enum.Parse<LogLevel>(effective.LogLevel, ignoreCase: true));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
