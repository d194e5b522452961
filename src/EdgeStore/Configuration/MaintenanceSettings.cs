namespace EdgeStore.Configuration;

/// <summary>
/// The `Maintenance` section's shape, for the settings schema that names unknown keys. Values are
/// parsed and validated by <see cref="MaintenanceOptions.Read"/>; defaults and units in docs/MAINTENANCE.md.
/// </summary>
internal sealed class MaintenanceSettings
{
    public List<MaintenanceWindowSettings> Windows { get; set; } = [];

    /// <summary>IANA time zone id; empty = the gateway's local zone.</summary>
    public string? TimeZone { get; set; }

    public int? RetentionChunkRows { get; set; }

    public int? VacuumFreePagePercent { get; set; }

    public long? VacuumFreeMiB { get; set; }

    public long? VacuumMinFreeKiB { get; set; }

    public long? WalHardLimitMiB { get; set; }

    public string? WalGuardInterval { get; set; }

    public string? OnDemandBudget { get; set; }

    public string? CheckpointRetryDelay { get; set; }
}
