namespace EdgeStore.Configuration;

/// <summary>
/// Section "Memory": how the pressure monitor polls and classifies, and how the mmap governor reacts.
/// Defaults and ranges are documented in docs/MEMORY.md; <see cref="MemorySettingsValidator"/> enforces them.
/// Percent thresholds are whole numbers 0-100 (the daemon's settings are integers, like every other section); PSI thresholds apply to the worse of avg10 and the stall share measured
/// between two polls (growth of "total").
/// </summary>
internal sealed class MemorySettings
{
    public const string SectionName = "Memory";

    /// <summary>Off: no monitor, no governor; mmap stays at the capped configured value.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where /proc and /sys are read from; "/" except in tests.</summary>
    public string FilesRoot { get; set; } = "/";

    public int PollIntervalMs { get; set; } = 2000;

    /// <summary>A lower level must hold this long before the level steps down (rising is immediate).</summary>
    public int StepDownHoldSeconds { get; set; } = 30;

    /// <summary>Time at Normal before the governor raises mmap one step, and between further steps.</summary>
    public int CalmPeriodSeconds { get; set; } = 60;

    /// <summary>Share of the mmap ceiling kept at Elevated, in percent (50 = half).</summary>
    public int ElevatedMmapPercent { get; set; } = 50;

    /// <summary>cache_size (per connection) at Critical; the normal value is Storage:CacheSizeMiB.</summary>
    public int CriticalCacheSizeKiB { get; set; } = 2048;

    public int ElevatedSomeStallPercent { get; set; } = 10;

    public int CriticalSomeStallPercent { get; set; } = 40;

    public int ElevatedFullStallPercent { get; set; } = 2;

    public int CriticalFullStallPercent { get; set; } = 5;

    /// <summary>MemAvailable below this share of MemTotal is Elevated.</summary>
    public int ElevatedAvailablePercent { get; set; } = 15;

    public int CriticalAvailablePercent { get; set; } = 5;

    /// <summary>Cgroup working set (usage minus inactive file pages) above this share of the limit is Elevated.</summary>
    public int ElevatedCgroupUsagePercent { get; set; } = 85;

    public int CriticalCgroupUsagePercent { get; set; } = 95;

    public TimeSpan PollInterval => TimeSpan.FromMilliseconds(PollIntervalMs);

    public TimeSpan StepDownHold => TimeSpan.FromSeconds(StepDownHoldSeconds);

    public TimeSpan CalmPeriod => TimeSpan.FromSeconds(CalmPeriodSeconds);

    public long CriticalCacheSizeBytes => CriticalCacheSizeKiB * 1024L;
}
