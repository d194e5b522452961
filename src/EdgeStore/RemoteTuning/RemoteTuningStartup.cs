using EdgeStore.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Re-applies the persisted remote tuning before anything else starts: the tuned values are written into the settings
/// that the ingest service, the PRAGMA profile and the others start from, so the first message stored after a restart
/// already uses them. RunCommand.AddDaemonServices registers this hosted service first of all, because hosted services
/// start in registration order.
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

    /// <summary>
    /// The persisted tuning written into <paramref name="settings"/> while the host is being built, silently: a file
    /// that cannot be read, or values that no longer pass, are left for <see cref="RemoteTuner.LoadAtStart"/> to
    /// report (and it decides again with the cgroup-aware cap).
    /// </summary>
    public static void ApplyPersistedEarly(EdgeStoreSettings settings, TunedValues baseline, long mmapCapBytes)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Storage.Path is not { } path)
        {
            return;
        }

        try
        {
            var state = TuningStateFile.ForDatabase(path).Read();
            if (state.Applied is { } applied)
            {
                var overrides = TuningResolver.Revalidate(applied.Overrides, dropped: null);
                TuningResolver.Resolve(baseline, overrides, mmapCapBytes).Effective.WriteTo(settings);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // Reported and set aside by LoadAtStart.
        }
    }
}
