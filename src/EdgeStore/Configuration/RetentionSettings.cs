namespace EdgeStore.Configuration;

/// <summary>The `Retention` section's shape (days; 0 keeps forever). Parsed by <see cref="MaintenanceOptions.Read"/>.</summary>
internal sealed class RetentionSettings
{
    public int? MessagesDays { get; set; }

    public int? QuarantineDays { get; set; }
}
