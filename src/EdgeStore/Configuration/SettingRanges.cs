namespace EdgeStore.Configuration;

/// <summary>
/// The ranges of the settings that remote tuning may change, in one place: <see cref="SettingsValidator"/> checks the
/// local configuration against them and <see cref="RemoteTuning.TunableSettings"/> checks desired documents against
/// them, so a value is valid in edgestore.json exactly when it is valid in a desired document. The one exception is
/// <see cref="RemoteCacheSizeMiB"/>, a hard bound that applies only remotely.
/// </summary>
internal static class SettingRanges
{
    /// <summary>Any value is accepted and then capped at 25% of effective RAM (the cap is machine-dependent, not a range).</summary>
    public static readonly SettingRange MmapSizeMiB = new(0, 1_048_576, "MiB");

    public static readonly SettingRange CacheSizeMiB = new(1, 4096, "MiB");

    /// <summary>
    /// Remote-only hard bound (docs/ARCHITECTURE.md, C4): a desired document may not raise the page cache above 1 GiB per connection,
    /// because that memory is anonymous and a fleet-wide typo would push every gateway into swap. Locally the wider
    /// <see cref="CacheSizeMiB"/> applies; the operator on the box can see what it costs.
    /// </summary>
    public static readonly SettingRange RemoteCacheSizeMiB = new(1, 1024, "MiB");

    public static readonly SettingRange MaxBatchRows = new(1, 100_000, "rows");

    public static readonly SettingRange MaxBatchLatencyMs = new(1, 60_000, "ms");

    public static readonly SettingRange RetentionDays = new(0, 36_500, "days");

    public static readonly SettingRange MetricsIntervalSeconds = new(5, 86_400, "s");

    /// <summary>The uplink's rate limit in rows per second; 0 means no limit.</summary>
    public static readonly SettingRange UplinkMaxMessagesPerSecond = new(0, 1_000_000, "messages per second");

    /// <summary>How many maintenance windows may be configured, locally or remotely.</summary>
    public static readonly SettingRange MaintenanceWindowCount = new(0, 8, "windows");
}
