namespace EdgeStore.Configuration;

/// <summary>The `Metrics` section: how often `edgestore/&lt;node&gt;/metrics` is published.</summary>
internal sealed class MetricsSettings
{
    public int IntervalSeconds { get; set; } = 60;
}
