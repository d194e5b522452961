namespace EdgeStore.Configuration;

/// <summary>
/// The `Maintenance` section as far as remote tuning needs it: the windows in which file-shrinking work may run
/// (contract C3). Empty after binding means "not configured": the default window (02:00 for 2h every day) applies.
/// </summary>
internal sealed class MaintenanceSection
{
    public List<MaintenanceWindowEntry> Windows { get; set; } = [];
}
