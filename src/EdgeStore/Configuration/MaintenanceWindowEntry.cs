namespace EdgeStore.Configuration;

/// <summary>One entry of `Maintenance:Windows`: `{ "Start": "02:00", "Duration": "2h", "Days": "Mon-Sun" }` (local time).</summary>
internal sealed class MaintenanceWindowEntry
{
    public string Start { get; set; } = "02:00";

    public string Duration { get; set; } = "2h";

    public string Days { get; set; } = "Mon-Sun";
}
