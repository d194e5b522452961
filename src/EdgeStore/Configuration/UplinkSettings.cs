namespace EdgeStore.Configuration;

/// <summary>
/// The `Uplink` section: forwarding what EdgeStore stored to an upstream broker (store-and-forward,
/// docs/UPLINK.md). Off unless `Enabled` is true; `Host` is then required.
/// </summary>
internal sealed class UplinkSettings
{
    public const string TransportTcp = "Tcp";
    public const string TransportWebSockets = "WebSockets";

    public bool Enabled { get; set; }

    public string? Host { get; set; }

    public int Port { get; set; } = 1883;

    /// <summary>Null means `edgestore-uplink-&lt;Node:Id&gt;`, filled in by <see cref="SettingsLoader"/>.</summary>
    public string? ClientId { get; set; }

    /// <summary>Null means `gateways/&lt;Node:Id&gt;`: a row stored under `sensors/t1` goes up as `gateways/&lt;node&gt;/sensors/t1`.</summary>
    public string? TopicPrefix { get; set; }

    /// <summary>4 = MQTT 3.1.1 (the row id goes into the topic), 5 = MQTT 5.0 (user properties).</summary>
    public int ProtocolVersion { get; set; } = MqttSettings.MqttV500;

    /// <summary>`Tcp` or `WebSockets` (for port 443 through firewalls and proxies).</summary>
    public string Transport { get; set; } = TransportTcp;

    /// <summary>The HTTP path of the broker's WebSocket endpoint.</summary>
    public string WebSocketPath { get; set; } = "/mqtt";

    public string? Username { get; set; }

    public string? Password { get; set; }

    public int KeepAliveSeconds { get; set; } = 30;

    public int ConnectTimeoutSeconds { get; set; } = 10;

    public int ReconnectMinDelayMs { get; set; } = 1000;

    public int ReconnectMaxDelayMs { get; set; } = 60_000;

    public MqttTlsSettings Tls { get; set; } = new();

    /// <summary>Rows forwarded per second at most, to protect a metered link; 0 means no limit.</summary>
    public int MaxMessagesPerSecond { get; set; }

    /// <summary>
    /// Publishes awaiting their PUBACK at most; the broker's receive maximum lowers it further. 250 drained fastest on
    /// the bench (MQTTnet looks each PUBACK up in a list of every waiting publish, so a wider window costs CPU per row).
    /// </summary>
    public int MaxInFlight { get; set; } = 250;

    /// <summary>Rows read from the database per read.</summary>
    public int ReadBatchRows { get; set; } = 1000;

    /// <summary>How often the forwarding cursor is committed while rows are being acknowledged.</summary>
    public int CursorCommitIntervalMs { get; set; } = 1000;

    /// <summary>Forward quarantined payloads too (under `&lt;TopicPrefix&gt;/quarantine/...`, with the reason).</summary>
    public bool ForwardQuarantine { get; set; }

    /// <summary>
    /// Let retention and the disk guard delete rows that were not forwarded yet. Off by default: an unforwarded row is
    /// then kept whatever its age. When on, every unforwarded row deleted is counted and raises an alarm.
    /// </summary>
    public bool RetentionDropsUnforwarded { get; set; }
}
