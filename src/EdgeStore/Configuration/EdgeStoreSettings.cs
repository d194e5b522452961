
namespace EdgeStore.Configuration;

/// <summary>
/// The whole configuration of every `edgestore` command: one property per section of edgestore.json. The property names
/// are the public setting names (`Mqtt:Port`, `Storage:Path`, ...). A setting added here must also be added to
/// <see cref="SettingsSchema.Root"/>, the explicit list of known keys (a test fails until it is).
/// </summary>
internal sealed class EdgeStoreSettings
{
    public MqttSettings Mqtt { get; set; } = new();

    public StorageSettings Storage { get; set; } = new();

    public IngestSettings Ingest { get; set; } = new();

    public DecoderSettings Decoder { get; set; } = new();

    public NodeSettings Node { get; set; } = new();

    public LoggingSettings Logging { get; set; } = new();

    /// <summary>Memory pressure monitoring and mmap governance (docs/MEMORY.md).</summary>
    public MemorySettings Memory { get; set; } = new();

    public MaintenanceSettings Maintenance { get; set; } = new();

    public RetentionSettings Retention { get; set; } = new();

    public SafeModeSettings SafeMode { get; set; } = new();

    public MetricsSettings Metrics { get; set; } = new();

    public RemoteTuningSettings RemoteTuning { get; set; } = new();

    /// <summary>Store-and-forward to an upstream broker (docs/UPLINK.md).</summary>
    public UplinkSettings Uplink { get; set; } = new();
}
