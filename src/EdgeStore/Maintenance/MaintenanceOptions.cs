using System.Globalization;
using EdgeStore.Configuration;
using Microsoft.Extensions.Configuration;

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

    /// <summary>The options from `edgestore run`'s bound settings (sections Maintenance, Retention, SafeMode and the Storage disk keys).</summary>
    public static MaintenanceOptions From(EdgeStore.Configuration.EdgeStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return From(settings.Maintenance, settings.Retention, settings.SafeMode, settings.Storage.MinFreeBytes, settings.Storage.MinFreePercent, settings.Storage.DiskFullPolicy, settings.Storage.DiskCheckInterval);
    }

    /// <summary>
    /// Builds the options from the bound settings sections (for hosts that bind settings objects rather than pass
    /// an IConfiguration); same validation and field names as <see cref="Read"/>.
    /// </summary>
    public static MaintenanceOptions From(
        MaintenanceSettings? maintenance,
        RetentionSettings? retention,
        SafeModeSettings? safeMode,
        long? minFreeBytes = null,
        int? minFreePercent = null,
        string? diskFullPolicy = null,
        string? diskCheckInterval = null)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Add(string key, object? value)
        {
            if (value is not null)
            {
                keys[key] = Convert.ToString(value, CultureInfo.InvariantCulture);
            }
        }

        if (maintenance is not null)
        {
            for (var i = 0; i < maintenance.Windows.Count; i++)
            {
                Add($"Maintenance:Windows:{i}:Start", maintenance.Windows[i].Start);
                Add($"Maintenance:Windows:{i}:Duration", maintenance.Windows[i].Duration);
                Add($"Maintenance:Windows:{i}:Days", maintenance.Windows[i].Days);
            }

            Add("Maintenance:TimeZone", maintenance.TimeZone);
            Add("Maintenance:RetentionChunkRows", maintenance.RetentionChunkRows);
            Add("Maintenance:VacuumFreePagePercent", maintenance.VacuumFreePagePercent);
            Add("Maintenance:VacuumFreeMiB", maintenance.VacuumFreeMiB);
            Add("Maintenance:VacuumMinFreeKiB", maintenance.VacuumMinFreeKiB);
            Add("Maintenance:WalHardLimitMiB", maintenance.WalHardLimitMiB);
            Add("Maintenance:WalGuardInterval", maintenance.WalGuardInterval);
            Add("Maintenance:OnDemandBudget", maintenance.OnDemandBudget);
            Add("Maintenance:CheckpointRetryDelay", maintenance.CheckpointRetryDelay);
        }

        Add("Retention:MessagesDays", retention?.MessagesDays);
        Add("Retention:QuarantineDays", retention?.QuarantineDays);
        Add("SafeMode:UncleanExits", safeMode?.UncleanExits);
        Add("SafeMode:Period", safeMode?.Period);
        Add("SafeMode:CalmPeriod", safeMode?.CalmPeriod);
        Add("Storage:MinFreeBytes", minFreeBytes);
        Add("Storage:MinFreePercent", minFreePercent);
        Add("Storage:DiskFullPolicy", diskFullPolicy);
        Add("Storage:DiskCheckInterval", diskCheckInterval);
        return Read(new ConfigurationBuilder().AddInMemoryCollection(keys).Build());
    }

    /// <summary>Reads and validates the settings; throws <see cref="MaintenanceSettingsException"/> naming the first bad field.</summary>
    public static MaintenanceOptions Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var defaults = new MaintenanceOptions();
        var windows = ReadWindows(configuration, defaults.Windows);
        var timeZone = defaults.TimeZone;
        var zoneId = configuration["Maintenance:TimeZone"];
        if (!string.IsNullOrWhiteSpace(zoneId))
        {
            try
            {
                timeZone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
            }
            catch (TimeZoneNotFoundException)
            {
                throw new MaintenanceSettingsException("Maintenance:TimeZone", $"\"{zoneId}\" is not a known time zone (use an IANA id such as Europe/Berlin)");
            }
        }

        var policyText = configuration["Storage:DiskFullPolicy"];
        var policy = defaults.DiskFullPolicy;
        if (!string.IsNullOrWhiteSpace(policyText) && !Enum.TryParse(policyText, ignoreCase: true, out policy))
        {
            throw new MaintenanceSettingsException("Storage:DiskFullPolicy", $"\"{policyText}\" is not StopAcks or DeleteOldest");
        }

        return new MaintenanceOptions
        {
            Windows = windows,
            TimeZone = timeZone,
            MessagesRetentionDays = Int(configuration, "Retention:MessagesDays", defaults.MessagesRetentionDays, 0, 36500),
            QuarantineRetentionDays = Int(configuration, "Retention:QuarantineDays", defaults.QuarantineRetentionDays, 0, 36500),
            RetentionChunkRows = Int(configuration, "Maintenance:RetentionChunkRows", defaults.RetentionChunkRows, 100, 1_000_000),
            VacuumFreePageRatio = Int(configuration, "Maintenance:VacuumFreePagePercent", (int)(defaults.VacuumFreePageRatio * 100), 1, 100) / 100.0,
            VacuumFreeBytes = Long(configuration, "Maintenance:VacuumFreeMiB", defaults.VacuumFreeBytes / (1024 * 1024), 1, 1L << 30) * 1024 * 1024,
            VacuumMinFreeBytes = Long(configuration, "Maintenance:VacuumMinFreeKiB", defaults.VacuumMinFreeBytes / 1024, 0, 1L << 40) * 1024,
            WalHardLimitBytes = Long(configuration, "Maintenance:WalHardLimitMiB", defaults.WalHardLimitBytes / (1024 * 1024), 1, 1L << 30) * 1024 * 1024,
            WalGuardInterval = Duration(configuration, "Maintenance:WalGuardInterval", defaults.WalGuardInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            OnDemandBudget = Duration(configuration, "Maintenance:OnDemandBudget", defaults.OnDemandBudget, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)),
            CheckpointRetryDelay = Duration(configuration, "Maintenance:CheckpointRetryDelay", defaults.CheckpointRetryDelay, TimeSpan.Zero, TimeSpan.FromHours(1)),
            MinFreeBytes = Long(configuration, "Storage:MinFreeBytes", defaults.MinFreeBytes, 0, long.MaxValue),
            MinFreePercent = Int(configuration, "Storage:MinFreePercent", (int)defaults.MinFreePercent, 0, 50),
            DiskFullPolicy = policy,
            DiskCheckInterval = Duration(configuration, "Storage:DiskCheckInterval", defaults.DiskCheckInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)),
            SafeModeUncleanExits = Int(configuration, "SafeMode:UncleanExits", defaults.SafeModeUncleanExits, 1, 1000),
            SafeModePeriod = Duration(configuration, "SafeMode:Period", defaults.SafeModePeriod, TimeSpan.FromSeconds(1), TimeSpan.FromDays(365)),
            SafeModeCalmPeriod = Duration(configuration, "SafeMode:CalmPeriod", defaults.SafeModeCalmPeriod, TimeSpan.FromSeconds(1), TimeSpan.FromDays(365)),
        };
    }

    private static List<MaintenanceWindow> ReadWindows(IConfiguration configuration, IReadOnlyList<MaintenanceWindow> defaults)
    {
        var section = configuration.GetSection("Maintenance:Windows");
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return [.. defaults];
        }

        var windows = new List<MaintenanceWindow>(children.Count);
        foreach (var child in children)
        {
            var field = $"Maintenance:Windows:{child.Key}";
            var startText = child["Start"] ?? "02:00";
            if (!TimeOnly.TryParseExact(startText.Trim(), ["H:mm", "HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
            {
                throw new MaintenanceSettingsException(field + ":Start", $"\"{startText}\" is not a local time such as 02:00");
            }

            var durationText = child["Duration"] ?? "2h";
            if (!DurationText.TryParse(durationText, out var duration, allowClock: true) || duration <= TimeSpan.Zero || duration > MaintenanceWindow.MaxDuration)
            {
                throw new MaintenanceSettingsException(field + ":Duration", $"\"{durationText}\" is not a duration between 1s and 24h (e.g. 2h, 90m)");
            }

            if (!MaintenanceDays.TryParse(child["Days"] ?? "Mon-Sun", out var days, out var error))
            {
                throw new MaintenanceSettingsException(field + ":Days", error);
            }

            windows.Add(new MaintenanceWindow(start, duration, days));
        }

        return windows;
    }

    private static int Int(IConfiguration configuration, string key, int fallback, int min, int max) =>
        (int)Long(configuration, key, fallback, min, max);

    private static long Long(IConfiguration configuration, string key, long fallback, long min, long max)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new MaintenanceSettingsException(key, $"\"{text}\" is not a whole number between {min} and {max}");
        }

        return value;
    }

    private static TimeSpan Duration(IConfiguration configuration, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!DurationText.TryParse(text, out var value, allowClock: true) || value < min || value > max)
        {
            throw new MaintenanceSettingsException(key, $"\"{text}\" is not a duration between {min} and {max} (e.g. 30s, 2h)");
        }

        return value;
    }
}
