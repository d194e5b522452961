using EdgeStore.Configuration;
using EdgeStore.Ingest;
using EdgeStore.Mqtt;
using EdgeStore.Storage;

namespace EdgeStore.Tests.Ingest;

public sealed class IngestOptionsTests
{
    private static EdgeStoreSettings Load(params (string Name, string Value)[] environment)
    {
        var loader = new SettingsLoader(
            environment.ToDictionary(e => e.Name, e => (string?)e.Value),
            new MachineFacts("gw", 1024L * 1024 * 1024),
            "/nonexistent/edgestore.json");
        return loader.Load(null).Settings!;
    }

    [Fact]
    public void The_client_keeps_a_persistent_session_with_a_wide_receive_window()
    {
        var settings = Load();
        var options = IngestOptions.ForClient(settings.Mqtt, settings.Ingest);

        Assert.False(options.CleanStart);
        Assert.True(options.SessionExpiryInterval >= TimeSpan.FromDays(1));
        Assert.Equal(settings.Ingest.QueueCapacity, options.ReceiveMaximum); // sized to the ingest queue
        Assert.Equal(MqttProtocolVersion.V500, options.ProtocolVersion);
        Assert.Equal("edgestore-gw", options.ClientId);
        Assert.Equal([new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce) { RetainHandling = MqttRetainHandling.SendIfNewSubscription }], options.Subscriptions);
        Assert.Null(options.Tls);
    }

    [Fact]
    public void Settings_reach_the_client_and_storage_options_in_their_units()
    {
        var settings = Load(
            ("EDGESTORE__MQTT__PROTOCOLVERSION", "4"),
            ("EDGESTORE__MQTT__KEEPALIVESECONDS", "15"),
            ("EDGESTORE__MQTT__SUBSCRIPTIONS__0__FILTER", "a/#"),
            ("EDGESTORE__MQTT__SUBSCRIPTIONS__0__QOS", "2"),
            ("EDGESTORE__STORAGE__DURABILITY", "full"),
            ("EDGESTORE__STORAGE__CACHESIZEMIB", "16"),
            ("EDGESTORE__INGEST__MAXBATCHROWS", "100"),
            ("EDGESTORE__INGEST__MAXBATCHLATENCYMS", "5"));

        var client = IngestOptions.ForClient(settings.Mqtt, settings.Ingest);
        var storage = IngestOptions.ForStorage(settings.Storage, settings.Ingest);

        Assert.Equal(MqttProtocolVersion.V311, client.ProtocolVersion);
        Assert.Equal(TimeSpan.FromSeconds(15), client.KeepAlive);
        Assert.Equal([new MqttSubscription("a/#", MqttQualityOfService.ExactlyOnce) { RetainHandling = MqttRetainHandling.SendIfNewSubscription }], client.Subscriptions);
        Assert.Equal(DurabilityLevel.Full, storage.Durability);
        Assert.Equal(16L * 1024 * 1024, storage.CacheSizeBytes);
        Assert.Equal(256L * 1024 * 1024, storage.MmapSizeBytes);
        Assert.Equal(100, storage.MaxBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(5), storage.MaxBatchLatency);
    }
}
