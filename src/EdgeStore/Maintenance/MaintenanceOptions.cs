using EdgeStore.Configuration;
using EdgeStore.Safety;

namespace EdgeStore.Maintenance;

/// <summary>
/// Every maintenance, retention, disk-guard and safe-mode setting, with its default. The single
/// source of defaults: docs/MAINTENANCE.md lists the same names, units and ranges.
/// </summary>
internal sealed record MaintenanceOptions
{
    public IReadOnlyList<MaintenanceWindow> Windows { get; init; } =
        [new MaintenanceWindow(new TimeOnly(2, 0), TimeSpan.FromHours(2), MaintenanceDays.Every)];

    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Local;

    /// <summary>Messages received longer ago than this are deleted in a window; 0 keeps them forever.</summary>
    public int MessagesRetentionDays { get; init; } = 90;

    /// <summary>Quarantined payloads received longer ago than this are deleted; 0 keeps them forever.</summary>
    public int QuarantineRetentionDays { get; init; } = 30;

    /// <summary>Rows deleted per transaction, so the writer is never held for long.</summary>
    public int RetentionChunkRows { get; init; } = 5000;

    /// <summary>VACUUM when free pages are at least this share of the file…</summary>
    public double VacuumFreePageRatio { get; init; } = 0.20;

    /// <summary>…or at least this many bytes. Files with fewer free bytes than <see cref="VacuumMinFreeBytes"/> are never vacuumed.</summary>
    public long VacuumFreeBytes { get; init; } = 256L * 1024 * 1024;

    public long VacuumMinFreeBytes { get; init; } = 1024L * 1024;

    /// <summary>The -wal size that makes the WAL guard checkpoint outside a window and raise an alarm.</summary>
    public long WalHardLimitBytes { get; init; } = 256L * 1024 * 1024;

    public TimeSpan WalGuardInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an on-demand run (`cmd/maintenance`) may take.</summary>
    public TimeSpan OnDemandBudget { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Wait before the one retry of a TRUNCATE checkpoint that came back busy.</summary>
    public TimeSpan CheckpointRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    public long MinFreeBytes { get; init; } = 64L * 1024 * 1024;

    public double MinFreePercent { get; init; } = 2.0;

    public DiskFullPolicy DiskFullPolicy { get; init; } = DiskFullPolicy.StopAcks;

    public TimeSpan DiskCheckInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Unclean exits within <see cref="SafeModePeriod"/> that put the next start into storage-safe mode.</summary>
    public int SafeModeUncleanExits { get; init; } = 3;

    public TimeSpan SafeModePeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Storage-safe mode ends by itself once no unclean exit happened for this long.</summary>
    public TimeSpan SafeModeCalmPeriod { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The options from validated settings (sections Maintenance, Retention, SafeMode and the Storage disk keys).
    /// Throws when the settings were not validated by <see cref="SettingsLoader"/>: that is a programming error.
    /// </summary>
    public static MaintenanceOptions From(EdgeStoreSettings settings)
    {
        var errors = new List<SettingsError>();
        var options = Collect(settings, errors);
        return errors.Count == 0
            ? options
            : throw new InvalidOperationException($"maintenance settings were not validated: {string.Join("; ", errors)}");
    }

    /// <summary>
    /// Builds the options from the typed settings and adds every problem to <paramref name="errors"/> (this is the
    /// maintenance part of <see cref="SettingsValidator"/>). Unset values take the defaults above.
    /// </summary>
    public static MaintenanceOptions Collect(EdgeStoreSettings settings, List<SettingsError> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        var defaults = new MaintenanceOptions();
        var maintenance = settings.Maintenance;
        var retention = settings.Retention;
        var safeMode = settings.SafeMode;
        var storage = settings.Storage;

        var windows = new List<MaintenanceWindow>(maintenance.Windows.Count);
        SettingRanges.MaintenanceWindowCount.Check(errors, "Maintenance:Windows", maintenance.Windows.Count);
        for (var i = 0; i < maintenance.Windows.Count; i++)
        {
            var entry = maintenance.Windows[i];
            var path = $"Maintenance:Windows:{i}";
            var window = MaintenanceWindow.TryCreate(entry.Start, entry.Duration, entry.Days, (field, reason) => errors.Add(new SettingsError($"{path}:{field}", reason)));
            if (window is not null)
            {
                windows.Add(window);
            }
        }

        var timeZone = defaults.TimeZone;
        if (!string.IsNullOrWhiteSpace(maintenance.TimeZone))
        {
            try
            {
                timeZone = TimeZoneInfo.FindSystemTimeZoneById(maintenance.TimeZone);
            }
            catch (TimeZoneNotFoundException)
            {
                errors.Add(new SettingsError("Maintenance:TimeZone", $"is not a known time zone; use an IANA id such as Europe/Berlin (got '{maintenance.TimeZone}')"));
            }
        }

        var policy = defaults.DiskFullPolicy;
        if (!string.IsNullOrWhiteSpace(storage.DiskFullPolicy)
            && (!Enum.TryParse(storage.DiskFullPolicy, ignoreCase: true, out policy) || !Enum.IsDefined(policy) || storage.DiskFullPolicy.Any(char.IsAsciiDigit)))
        {
            errors.Add(new SettingsError("Storage:DiskFullPolicy", $"must be StopAcks or DeleteOldest (got '{storage.DiskFullPolicy}')"));
            policy = defaults.DiskFullPolicy;
        }

        return new MaintenanceOptions
        {
            Windows = windows.Count > 0 ? windows : defaults.Windows,
            TimeZone = timeZone,
            MessagesRetentionDays = (int)Whole(errors, "Retention:MessagesDays", retention.MessagesDays, defaults.MessagesRetentionDays, SettingRanges.RetentionDays),
            QuarantineRetentionDays = (int)Whole(errors, "Retention:QuarantineDays", retention.QuarantineDays, defaults.QuarantineRetentionDays, SettingRanges.RetentionDays),
            RetentionChunkRows = (int)Whole(errors, "Maintenance:RetentionChunkRows", maintenance.RetentionChunkRows, defaults.RetentionChunkRows, new(100, 1_000_000, "rows")),
            VacuumFreePageRatio = Whole(errors, "Maintenance:VacuumFreePagePercent", maintenance.VacuumFreePagePercent, (long)(defaults.VacuumFreePageRatio * 100), new(1, 100, "percent")) / 100.0,
            VacuumFreeBytes = Whole(errors, "Maintenance:VacuumFreeMiB", maintenance.VacuumFreeMiB, defaults.VacuumFreeBytes >> 20, new(1, 1L << 30, "MiB")) << 20,
            VacuumMinFreeBytes = Whole(errors, "Maintenance:VacuumMinFreeKiB", maintenance.VacuumMinFreeKiB, defaults.VacuumMinFreeBytes >> 10, new(0, 1L << 40, "KiB")) << 10,
            WalHardLimitBytes = Whole(errors, "Maintenance:WalHardLimitMiB", maintenance.WalHardLimitMiB, defaults.WalHardLimitBytes >> 20, new(1, 1L << 30, "MiB")) << 20,
            WalGuardInterval = SettingRange.CheckDuration(errors, "Maintenance:WalGuardInterval", maintenance.WalGuardInterval, defaults.WalGuardInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            OnDemandBudget = SettingRange.CheckDuration(errors, "Maintenance:OnDemandBudget", maintenance.OnDemandBudget, defaults.OnDemandBudget, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)),
            CheckpointRetryDelay = SettingRange.CheckDuration(errors, "Maintenance:CheckpointRetryDelay", maintenance.CheckpointRetryDelay, defaults.CheckpointRetryDelay, TimeSpan.Zero, TimeSpan.FromHours(1)),
            MinFreeBytes = Whole(errors, "Storage:MinFreeBytes", storage.MinFreeBytes, defaults.MinFreeBytes, new(0, long.MaxValue, "bytes")),
            MinFreePercent = Whole(errors, "Storage:MinFreePercent", storage.MinFreePercent, (long)defaults.MinFreePercent, new(0, 50, "percent")),
            DiskFullPolicy = policy,
            DiskCheckInterval = SettingRange.CheckDuration(errors, "Storage:DiskCheckInterval", storage.DiskCheckInterval, defaults.DiskCheckInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
            SafeModeUncleanExits = (int)Whole(errors, "SafeMode:UncleanExits", safeMode.UncleanExits, defaults.SafeModeUncleanExits, new(1, 1000, "exits")),
            SafeModePeriod = SettingRange.CheckDuration(errors, "SafeMode:Period", safeMode.Period, defaults.SafeModePeriod, TimeSpan.FromSeconds(1), TimeSpan.FromDays(365)),
            SafeModeCalmPeriod = SettingRange.CheckDuration(errors, "SafeMode:CalmPeriod", safeMode.CalmPeriod, defaults.SafeModeCalmPeriod, TimeSpan.FromSeconds(1), TimeSpan.FromDays(365)),
        };
    }

    /// <summary>The configured value when it is in range, else (after adding the error) the default.</summary>
    private static long Whole(List<SettingsError> errors, string path, long? value, long fallback, SettingRange range)
    {
        if (value is not { } given)
        {
            return fallback;
        }

        var before = errors.Count;
        range.Check(errors, path, given);
        return errors.Count == before ? given : fallback;
    }
}
