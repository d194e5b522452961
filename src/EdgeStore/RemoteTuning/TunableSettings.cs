using EdgeStore.Configuration;
using System.Text.Json.Nodes;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// The table of settings a desired document may change (docs/ARCHITECTURE.md, C4), with the hard bounds no document can pass.
/// The ranges are <see cref="SettingRanges"/>, the ones the local configuration is validated against, so a value is
/// valid in a desired document exactly when it is valid in edgestore.json (except the documented remote-only cache bound).
/// The minimums are the ones that keep EdgeStore alive (a batch of at least one row, a cache of at least 1 MiB, a
/// metrics interval of at least 5 s); mmap has a further, machine-dependent ceiling (25% of effective RAM) applied by
/// clamping, see <see cref="TuningResolver"/>. Everything else (database path, broker address and credentials, node id,
/// queue capacity, the uplink's broker and credentials, the remote-tuning guard rails themselves) is local only and answered with `not_tunable`.
/// </summary>
internal static class TunableSettings
{
    public static readonly IReadOnlyList<string> LogLevels = ["Trace", "Debug", "Information", "Warning", "Error", "Critical"];

    public static readonly IReadOnlyList<TunableSetting> All =
    [
        Integer("storage.mmapSizeMiB", "Storage:MmapSizeMiB", SettingRanges.MmapSizeMiB, "memory-map limit of every connection; clamped to 25% of effective RAM",
            v => v.MmapSizeMiB, (v, n) => v with { MmapSizeMiB = n }),
        Integer("storage.cacheSizeMiB", "Storage:CacheSizeMiB", SettingRanges.RemoteCacheSizeMiB, "page cache per connection",
            v => v.CacheSizeMiB, (v, n) => v with { CacheSizeMiB = n }),
        Choice("storage.durability", "Storage:Durability", ["Normal", "Full"], "synchronous=NORMAL (survives a crash) or FULL (survives power loss)",
            v => v.Durability, (v, s) => v with { Durability = s }),
        Integer("ingest.maxBatchRows", "Ingest:MaxBatchRows", SettingRanges.MaxBatchRows, "rows per committed batch",
            v => v.MaxBatchRows, (v, n) => v with { MaxBatchRows = n }),
        Integer("ingest.maxBatchLatencyMs", "Ingest:MaxBatchLatencyMs", SettingRanges.MaxBatchLatencyMs, "longest wait of a row before its batch commits",
            v => v.MaxBatchLatencyMs, (v, n) => v with { MaxBatchLatencyMs = n }),
        new TunableSetting("maintenance.windows", "Maintenance:Windows", TunableKind.Windows, SettingRanges.MaintenanceWindowCount, [],
            "when file-shrinking maintenance may run (local time)",
            v => MaintenanceWindowText.ToJson(v.MaintenanceWindows), (v, node) => v with { MaintenanceWindows = MaintenanceWindowText.ToWindows(node) }),
        Integer("retention.messagesDays", "Retention:MessagesDays", SettingRanges.RetentionDays, "messages older than this are deleted in a window; 0 keeps them",
            v => v.MessagesRetentionDays, (v, n) => v with { MessagesRetentionDays = n }),
        Integer("retention.quarantineDays", "Retention:QuarantineDays", SettingRanges.RetentionDays, "quarantined payloads older than this are deleted; 0 keeps them",
            v => v.QuarantineRetentionDays, (v, n) => v with { QuarantineRetentionDays = n }),
        Choice("logging.level", "Logging:Level", LogLevels, "lowest level written to the log",
            v => v.LogLevel, (v, s) => v with { LogLevel = s }),
        Integer("metrics.intervalSeconds", "Metrics:IntervalSeconds", SettingRanges.MetricsIntervalSeconds, "interval of edgestore/<node>/metrics",
            v => v.MetricsIntervalSeconds, (v, n) => v with { MetricsIntervalSeconds = n }),
        new TunableSetting("uplink.enabled", "Uplink:Enabled", TunableKind.Boolean, default, [], "forward stored rows to the upstream broker (Uplink:Host must be set locally)",
            v => JsonValue.Create(v.UplinkEnabled), (v, node) => v with { UplinkEnabled = node.GetValue<bool>() }),
        Integer("uplink.maxMessagesPerSecond", "Uplink:MaxMessagesPerSecond", SettingRanges.UplinkMaxMessagesPerSecond, "rows forwarded per second at most; 0 means no limit",
            v => v.UplinkMaxMessagesPerSecond, (v, n) => v with { UplinkMaxMessagesPerSecond = n }),
    ];

    /// <summary>The row for a dotted path, matched without regard to case, or null.</summary>
    public static TunableSetting? Find(string path) =>
        All.FirstOrDefault(s => string.Equals(s.Path, path, StringComparison.OrdinalIgnoreCase));

    private static TunableSetting Integer(string path, string key, SettingRange range, string description, Func<TunedValues, int> read, Func<TunedValues, int, TunedValues> write) =>
        new(path, key, TunableKind.Integer, range, [], description, v => JsonValue.Create(read(v)), (v, node) => write(v, checked((int)node.GetValue<long>())));

    private static TunableSetting Choice(string path, string key, IReadOnlyList<string> choices, string description, Func<TunedValues, string> read, Func<TunedValues, string, TunedValues> write) =>
        new(path, key, TunableKind.Choice, default, choices, description, v => JsonValue.Create(read(v)), (v, node) => write(v, node.GetValue<string>()));
}
