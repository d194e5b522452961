using System.Text.Json.Nodes;
using EdgeStore.Configuration;
using EdgeStore.RemoteTuning;

namespace EdgeStore.Tests.RemoteTuning;

public sealed class EffectiveConfigurationTests
{
    [Fact]
    public void Each_value_names_its_source_with_remote_above_environment_above_file()
    {
        var settings = new EdgeStoreSettings
        {
            Storage = new StorageSettings { Path = "/var/lib/edgestore/edgestore.db", MmapSizeMiB = 128 },
            Ingest = new IngestSettings { MaxBatchRows = 700, MaxBatchLatencyMs = 30 },
            Mqtt = new MqttSettings { Port = 18830, Password = "hunter2", Subscriptions = [new MqttSubscriptionSettings { Filter = "sensors/#", Qos = 1 }] },
            Uplink = new UplinkSettings { Username = "gw", Password = "hunter3" },
        };
        var overrides = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal) { ["ingest.maxBatchRows"] = JsonValue.Create(42L) };
        var tuning = new TuningState(3, new AppliedDocument(3, overrides, DateTimeOffset.UnixEpoch, true), null, "applied", null);

        var lines = EffectiveConfiguration.Describe(
            settings,
            fileKeys: ["Ingest:MaxBatchRows", "Ingest:MaxBatchLatencyMs", "Mqtt:Password"],
            environmentKeys: ["MQTT:PORT", "Ingest:MaxBatchLatencyMs", "Mqtt:Subscriptions:0:Filter"],
            tuning,
            mmapCapBytes: 1L << 30).ToDictionary(l => l.Key);

        Assert.Equal(("42", "remote"), (lines["Ingest:MaxBatchRows"].Value, lines["Ingest:MaxBatchRows"].Source));
        Assert.Equal(("30", "environment"), (lines["Ingest:MaxBatchLatencyMs"].Value, lines["Ingest:MaxBatchLatencyMs"].Source));
        Assert.Equal(("18830", "environment"), (lines["Mqtt:Port"].Value, lines["Mqtt:Port"].Source));
        Assert.Equal("environment", lines["Mqtt:Subscriptions:0:Filter"].Source);
        Assert.Equal("default", lines["Mqtt:Subscriptions:0:Qos"].Source);
        Assert.Equal(("(set, not shown)", "file"), (lines["Mqtt:Password"].Value, lines["Mqtt:Password"].Source));
        Assert.Equal(("128", "default"), (lines["Storage:MmapSizeMiB"].Value, lines["Storage:MmapSizeMiB"].Source));
        Assert.Equal("(set, not shown)", lines["Uplink:Password"].Value);
        Assert.DoesNotContain(lines.Values, l => l.Value.Contains("hunter", StringComparison.Ordinal));
    }
}
