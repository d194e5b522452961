using EdgeStore.Configuration;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Validates the local settings remote tuning adds (Maintenance:Windows, Retention, Metrics, RemoteTuning) with the same
/// bounds as <see cref="TunableSettings"/>, so a value the file accepts is one a desired document could also set.
/// </summary>
internal static class TuningSettingsValidator
{
    public static void Validate(EdgeStoreSettings settings, List<SettingsError> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        if (settings.Retention.MessagesDays is { } messagesDays)
        {
            Bounded(errors, "Retention:MessagesDays", messagesDays);
        }

        if (settings.Retention.QuarantineDays is { } quarantineDays)
        {
            Bounded(errors, "Retention:QuarantineDays", quarantineDays);
        }

        Bounded(errors, "Metrics:IntervalSeconds", settings.Metrics.IntervalSeconds);
        if (settings.Maintenance.Windows.Count > TunableSetting.MaxWindows)
        {
            errors.Add(new SettingsError("Maintenance:Windows", $"must list at most {TunableSetting.MaxWindows} windows (got {settings.Maintenance.Windows.Count})"));
        }

        // Each local window's start, duration and days are checked by the maintenance settings' own parser (see
        // SettingsValidator), which is the one that runs them; remote documents are held to MaintenanceWindowText.

        var tuning = settings.RemoteTuning;
        Range(errors, "RemoteTuning:MaxDocumentBytes", tuning.MaxDocumentBytes, 256, 1024 * 1024);
        Range(errors, "RemoteTuning:RateBurst", tuning.RateBurst, 1, 100);
        Range(errors, "RemoteTuning:RateIntervalMs", tuning.RateIntervalMs, 10, 3_600_000);
        Range(errors, "RemoteTuning:ProbationSeconds", tuning.ProbationSeconds, 1, 7 * 86_400);
        Range(errors, "RemoteTuning:RollbackAfterSeconds", tuning.RollbackAfterSeconds, 1, 86_400);
    }

    private static void Bounded(List<SettingsError> errors, string key, long value)
    {
        var setting = TunableSettings.FindBySettingKey(key) ?? throw new InvalidOperationException($"{key} is not in the tunable table");
        Range(errors, key, value, setting.Min, setting.Max);
    }

    private static void Range(List<SettingsError> errors, string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add(new SettingsError(key, $"must be {min}..{max} (got {value})"));
        }
    }
}
