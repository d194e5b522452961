namespace EdgeStore.Maintenance;

/// <summary>A maintenance, retention, disk or safe-mode setting that is invalid; names the field (e.g. `Retention:MessagesDays`).</summary>
internal sealed class MaintenanceSettingsException : Exception
{
    public MaintenanceSettingsException(string field, string reason)
        : base($"{field}: {reason}")
    {
        Field = field;
        Reason = reason;
    }

    public MaintenanceSettingsException()
    {
        Field = string.Empty;
        Reason = string.Empty;
    }

    public MaintenanceSettingsException(string message)
        : base(message)
    {
        Field = string.Empty;
        Reason = message;
    }

    public MaintenanceSettingsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
        Reason = message;
    }

    public string Field { get; }

    public string Reason { get; }
}
