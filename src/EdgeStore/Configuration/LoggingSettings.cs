namespace EdgeStore.Configuration;

/// <summary>The `Logging` section.</summary>
internal sealed class LoggingSettings
{
    /// <summary>Trace, Debug, Information, Warning, Error or Critical. Debug adds a line per committed batch.</summary>
    public string Level { get; set; } = "Information";
}
