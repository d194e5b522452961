namespace EdgeStore.Configuration;

/// <summary>The `SafeMode` section's shape. Parsed by <see cref="MaintenanceOptions.Read"/>.</summary>
internal sealed class SafeModeSettings
{
    public int? UncleanExits { get; set; }

    /// <summary>Duration text, e.g. "1h".</summary>
    public string? Period { get; set; }

    /// <summary>Duration text, e.g. "24h".</summary>
    public string? CalmPeriod { get; set; }
}
