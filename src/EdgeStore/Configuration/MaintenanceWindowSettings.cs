namespace EdgeStore.Configuration;

/// <summary>One window as written in settings: { "Start": "02:00", "Duration": "2h", "Days": "Mon-Sun" }.</summary>
internal sealed class MaintenanceWindowSettings
{
    public string Start { get; set; } = "02:00";

    public string Duration { get; set; } = "2h";

    public string Days { get; set; } = "Mon-Sun";
}
