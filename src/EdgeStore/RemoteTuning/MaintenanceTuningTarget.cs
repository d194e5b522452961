using EdgeStore.Configuration;
using EdgeStore.Maintenance;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Applies tuned maintenance windows and retention to the running scheduler, parsed by the maintenance settings'
/// own parser (the values were validated against it already). Without a scheduler (maintenance not wired) the
/// values take effect at the next start, from the persisted document.
/// </summary>
internal sealed class MaintenanceTuningTarget(MaintenanceScheduler? scheduler) : ILiveTuningTarget
{
    public string Name => "maintenance";

    public ValueTask ApplyAsync(TunedValues previous, TunedValues next, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(next);
        if (scheduler is null
            || (previous.MaintenanceWindows.SequenceEqual(next.MaintenanceWindows)
                && previous.MessagesRetentionDays == next.MessagesRetentionDays
                && previous.QuarantineRetentionDays == next.QuarantineRetentionDays))
        {
            return ValueTask.CompletedTask;
        }

        var settings = new MaintenanceSettings
        {
            Windows = [.. next.MaintenanceWindows.Select(w => new MaintenanceWindowSettings { Start = w.Start, Duration = w.Duration, Days = w.Days })],
        };
        var windows = MaintenanceOptions.From(settings, retention: null, safeMode: null).Windows;
        scheduler.Reconfigure(windows, next.MessagesRetentionDays, next.QuarantineRetentionDays);
        return ValueTask.CompletedTask;
    }
}
