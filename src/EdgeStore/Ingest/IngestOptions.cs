using EdgeStore.Configuration;
using EdgeStore.Mqtt;
using EdgeStore.Storage;

namespace EdgeStore.Ingest;

/// <summary>Translates the validated settings into the options of the MQTT client and of storage.</summary>
internal static class IngestOptions
{
    private const long Mebibyte = 1024 * 1024;

    public static MqttClientOptions ForClient(MqttSettings mqtt, IngestSettings ingest)
    {
        var options = new MqttClientOptions
        {
            Host = mqtt.Host,
            Port = mqtt.Port,
            ClientId = mqtt.ClientId ?? throw new InvalidOperationException("Mqtt:ClientId has no value; the settings were not loaded through SettingsLoader."),
            ProtocolVersion = mqtt.ProtocolVersion == MqttSettings.MqttV311 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500,

            // A persistent session is what makes ack-after-commit safe (C1): whatever was received but not
            // acknowledged when EdgeStore stopped or crashed is redelivered by the broker on the next connect.
            CleanStart = false,
            SessionExpiryInterval = TimeSpan.FromSeconds(mqtt.SessionExpirySeconds),
            KeepAlive = TimeSpan.FromSeconds(mqtt.KeepAliveSeconds),
            Username = mqtt.Username,
            Password = mqtt.Password,

            // Acks wait for a commit, so the broker must be allowed many unacknowledged messages in flight or it
            // throttles us to one batch per commit. It is always sent (MQTT 5): a stock mosquitto otherwise applies its
            // max_inflight_messages 20 and, past max_queued_messages 1000, drops. Sized to the ingest queue: the broker
            // never has more in flight to us than EdgeStore can hold (docs/MOSQUITTO.md).
            ReceiveMaximum = ReceiveMaximumFor(mqtt, ingest),

            // mosquitto 2.0.11 overruns a receive maximum below 65535 once batched PUBACKs arrive (measured, see
            // docs/MOSQUITTO.md). Dropping the connection for it would only loop reconnecting and stall ingestion;
            // the bounded ingest queue still applies back-pressure, so EdgeStore counts the overrun and goes on.
            DisconnectOnReceiveMaximumExceeded = false,
            MaximumPacketSize = (uint)mqtt.MaximumPacketSizeBytes,
            ConnectTimeout = TimeSpan.FromSeconds(mqtt.ConnectTimeoutSeconds),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(mqtt.ReconnectMinDelayMs),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(mqtt.ReconnectMaxDelayMs),
        };
        if (mqtt.Tls.Enabled)
        {
            options.Tls = new MqttTlsOptions
            {
                CaFile = mqtt.Tls.CaFile,
                ClientCertificateFile = mqtt.Tls.ClientCertificateFile,
                ClientKeyFile = mqtt.Tls.ClientKeyFile,
                ServerName = mqtt.Tls.ServerName ?? mqtt.Host,
            };
        }

        foreach (var subscription in mqtt.Subscriptions)
        {
            // Retained messages are sent again only for a new subscription, not on every reconnect's resubscribe
            // (MQTT 5); the retain flag is kept on each row, so a repeat is visible rather than guessed at.
            options.Subscriptions.Add(new MqttSubscription(subscription.Filter!, (MqttQualityOfService)subscription.Qos)
            {
                RetainHandling = MqttRetainHandling.SendIfNewSubscription,
            });
        }

        return options;
    }

    /// <summary>The receive maximum announced in CONNECT: Mqtt:ReceiveMaximum, at most the ingest queue's capacity.</summary>
    public static ushort ReceiveMaximumFor(MqttSettings mqtt, IngestSettings ingest) =>
        (ushort)Math.Clamp(Math.Min(mqtt.ReceiveMaximum, ingest.QueueCapacity), 1, ushort.MaxValue);

    public static StorageOptions ForStorage(StorageSettings storage, IngestSettings ingest) => new()
    {
        Path = storage.Path ?? throw new InvalidOperationException("Storage:Path has no value; the settings were not loaded through SettingsLoader."),
        Durability = string.Equals(storage.Durability, "Full", StringComparison.OrdinalIgnoreCase) ? DurabilityLevel.Full : DurabilityLevel.Normal,
        BusyTimeout = TimeSpan.FromMilliseconds(storage.BusyTimeoutMs),
        CacheSizeBytes = storage.CacheSizeMiB * Mebibyte,
        MmapSizeBytes = (storage.MmapSizeMiB ?? 0) * Mebibyte,
        JournalSizeLimitBytes = storage.JournalSizeLimitMiB * Mebibyte,
        WalAutocheckpointPages = storage.WalAutocheckpointPages,
        ReaderPoolSize = storage.ReaderPoolSize,
        MaxBatchRows = ingest.MaxBatchRows,
        MaxBatchLatency = TimeSpan.FromMilliseconds(ingest.MaxBatchLatencyMs),
    };
}
