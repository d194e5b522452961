using EdgeStore.Maintenance;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Applies tuned maintenance windows and retention to the running scheduler. Windows are built by the one window rule,
/// <see cref="MaintenanceWindow.TryCreate"/>, which already accepted them when the document was checked. Without a scheduler (maintenance not wired) the
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

        // No window means the default one, as in the local configuration.
        IReadOnlyList<MaintenanceWindow> windows = next.MaintenanceWindows.Count == 0
            ? new MaintenanceOptions().Windows
            : [.. next.MaintenanceWindows.Select(w => MaintenanceWindow.TryCreate(w.Start, w.Duration, w.Days, (field, reason) =>
                throw new InvalidOperationException($"a tuned window was not validated: {field}: {reason}"))!)];
        scheduler.Reconfigure(windows, next.MessagesRetentionDays, next.QuarantineRetentionDays);
        return ValueTask.CompletedTask;
    }
}
