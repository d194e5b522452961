using EdgeStore.Configuration;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// The value of every setting remote tuning may change: the local baseline (defaults &lt; file &lt; environment) with the
/// remote overrides on top. One immutable snapshot; a change is a new snapshot handed to the live targets.
/// </summary>
internal sealed record TunedValues
{
    /// <summary>The retention defaults of the maintenance capability (Retention:MessagesDays, Retention:QuarantineDays).</summary>
    public const int DefaultMessagesRetentionDays = 90;
    public const int DefaultQuarantineRetentionDays = 30;

    public int MmapSizeMiB { get; init; }

    public int CacheSizeMiB { get; init; }

    /// <summary>`Normal` or `Full`.</summary>
    public string Durability { get; init; } = "Normal";

    public int MaxBatchRows { get; init; }

    public int MaxBatchLatencyMs { get; init; }

    public IReadOnlyList<MaintenanceWindowValue> MaintenanceWindows { get; init; } = [new("02:00", "2h", "Mon-Sun")];

    public int MessagesRetentionDays { get; init; } = DefaultMessagesRetentionDays;

    public int QuarantineRetentionDays { get; init; } = DefaultQuarantineRetentionDays;

    /// <summary>Trace, Debug, Information, Warning, Error or Critical.</summary>
    public string LogLevel { get; init; } = "Information";

    public int MetricsIntervalSeconds { get; init; }

    /// <summary>Whether the uplink forwards (Uplink:Enabled).</summary>
    public bool UplinkEnabled { get; init; }

    /// <summary>The uplink's rate limit in rows per second; 0 means no limit (Uplink:MaxMessagesPerSecond).</summary>
    public int UplinkMaxMessagesPerSecond { get; init; }

    public TimeSpan MaxBatchLatency => TimeSpan.FromMilliseconds(MaxBatchLatencyMs);

    public long MmapSizeBytes => MmapSizeMiB * 1024L * 1024;

    public long CacheSizeBytes => CacheSizeMiB * 1024L * 1024;

    /// <summary>The local baseline: what the loaded settings say (the loader already filled in defaults and capped mmap).</summary>
    public static TunedValues FromSettings(EdgeStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var windows = settings.Maintenance.Windows.Count == 0
            ? new TunedValues().MaintenanceWindows
            : settings.Maintenance.Windows.Select(w => new MaintenanceWindowValue(w.Start, w.Duration, w.Days)).ToList();
        return new TunedValues
        {
            MmapSizeMiB = settings.Storage.MmapSizeMiB ?? 0,
            CacheSizeMiB = settings.Storage.CacheSizeMiB,
            Durability = string.Equals(settings.Storage.Durability, "Full", StringComparison.OrdinalIgnoreCase) ? "Full" : "Normal",
            MaxBatchRows = settings.Ingest.MaxBatchRows,
            MaxBatchLatencyMs = settings.Ingest.MaxBatchLatencyMs,
            MaintenanceWindows = windows,
            MessagesRetentionDays = settings.Retention.MessagesDays ?? DefaultMessagesRetentionDays,
            QuarantineRetentionDays = settings.Retention.QuarantineDays ?? DefaultQuarantineRetentionDays,
            LogLevel = settings.Logging.Level,
            MetricsIntervalSeconds = settings.Metrics.IntervalSeconds,
            UplinkEnabled = settings.Uplink.Enabled,
            UplinkMaxMessagesPerSecond = settings.Uplink.MaxMessagesPerSecond,
        };
    }

    /// <summary>
    /// Writes these values into <paramref name="settings"/>, so every service that reads the settings at start (the
    /// writer's batch size, the PRAGMA profile) starts with the tuned values: this is how the persisted document is in
    /// force before the first message is stored.
    /// </summary>
    public void WriteTo(EdgeStoreSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Storage.MmapSizeMiB = MmapSizeMiB;
        settings.Storage.CacheSizeMiB = CacheSizeMiB;
        settings.Storage.Durability = Durability;
        settings.Ingest.MaxBatchRows = MaxBatchRows;
        settings.Ingest.MaxBatchLatencyMs = MaxBatchLatencyMs;
        settings.Maintenance.Windows = MaintenanceWindows.Select(w => new MaintenanceWindowSettings { Start = w.Start, Duration = w.Duration, Days = w.Days }).ToList();
        settings.Retention.MessagesDays = MessagesRetentionDays;
        settings.Retention.QuarantineDays = QuarantineRetentionDays;
        settings.Logging.Level = LogLevel;
        settings.Metrics.IntervalSeconds = MetricsIntervalSeconds;
        settings.Uplink.Enabled = UplinkEnabled;
        settings.Uplink.MaxMessagesPerSecond = UplinkMaxMessagesPerSecond;
    }

    public bool SameAs(TunedValues other) =>
        other is not null
        && this with { MaintenanceWindows = [] } == other with { MaintenanceWindows = [] }
        && MaintenanceWindows.SequenceEqual(other.MaintenanceWindows);
}
