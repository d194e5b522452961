namespace EdgeStore.Configuration;

/// <summary>The `Retention` section: how long rows are kept; 0 keeps them forever. Enforced inside maintenance windows.</summary>
internal sealed class RetentionSettings
{
    public int MessagesDays { get; set; } = 90;

    public int QuarantineDays { get; set; } = 30;
}
