namespace EdgeStore.Configuration;

/// <summary>The `Mqtt` section: where the broker is and how EdgeStore's session with it behaves.</summary>
internal sealed class MqttSettings
{
    public const int MqttV311 = 4;
    public const int MqttV500 = 5;

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 1883;

    /// <summary>Null means `edgestore-&lt;Node:Id&gt;`, filled in by <see cref="SettingsLoader"/>.</summary>
    public string? ClientId { get; set; }

    /// <summary>4 = MQTT 3.1.1, 5 = MQTT 5.0.</summary>
    public int ProtocolVersion { get; set; } = MqttV500;

    public string? Username { get; set; }

    public string? Password { get; set; }

    public int KeepAliveSeconds { get; set; } = 30;

    /// <summary>
    /// How long the broker keeps the session (subscriptions and unacknowledged messages) while EdgeStore is away.
    /// At least a day, so a gateway restarted after a long outage still gets what was queued for it (docs/ARCHITECTURE.md, C1).
    /// </summary>
    public long SessionExpirySeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>How many unacknowledged QoS 1/2 messages the broker may have in flight to us (MQTT 5 receive maximum).</summary>
    public int ReceiveMaximum { get; set; } = 65535;

    public long MaximumPacketSizeBytes { get; set; } = 1024 * 1024;

    public int ConnectTimeoutSeconds { get; set; } = 10;

    public int ReconnectMinDelayMs { get; set; } = 500;

    public int ReconnectMaxDelayMs { get; set; } = 30_000;

    public MqttTlsSettings Tls { get; set; } = new();

    /// <summary>
    /// Empty after binding means "not configured": the loader then applies the default `sensors/#` at QoS 1.
    /// The default is not put here because the configuration binder appends to a pre-filled list.
    /// </summary>
    public List<MqttSubscriptionSettings> Subscriptions { get; set; } = [];
}
