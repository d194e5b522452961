namespace EdgeStore.Mqtt;

/// <summary>Connection settings of an <see cref="MqttClient"/>; the single source of the client's defaults.</summary>
public sealed class MqttClientOptions
{
    private const int MaxOversizePrefixBytes = 16 * 1024 * 1024;

    public string Host { get; set; } = "127.0.0.1";

    public int Port { get; set; } = 1883;

    public required string ClientId { get; set; }

    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;

    /// <summary>False keeps the broker-side session (subscriptions and unacknowledged messages) across connections.</summary>
    public bool CleanStart { get; set; }

    /// <summary>How long the broker keeps the session after a disconnect (MQTT 5 only; whole seconds on the wire).</summary>
    public TimeSpan SessionExpiryInterval { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Keep-alive announced in CONNECT; PINGREQ is sent when we were idle this long. Zero disables it.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    public string? Username { get; set; }

    public string? Password { get; set; }

    public MqttWillMessage? Will { get; set; }

    /// <summary>How many unacknowledged QoS 1/2 messages the broker may send us at once (MQTT 5 only).</summary>
    public ushort ReceiveMaximum { get; set; } = ushort.MaxValue;

    /// <summary>
    /// True (the specification's rule): a broker that sends more unacknowledged QoS 1/2 messages than
    /// <see cref="ReceiveMaximum"/> is a protocol error (DISCONNECT 0x93, reconnect). False: it is counted in
    /// <see cref="MqttClientCounters.ReceiveMaximumExceeded"/> and logged once per connection, and the messages are
    /// delivered. Mosquitto 2.0.11 honours a receive maximum below 65535 only for its first window, so with such a
    /// broker either keep the default 65535 or set this to false.
    /// </summary>
    public bool DisconnectOnReceiveMaximumExceeded { get; set; } = true;

    /// <summary>The largest packet we accept, in bytes (announced in MQTT 5, enforced in both versions).</summary>
    public uint MaximumPacketSize { get; set; } = 1024 * 1024;

    /// <summary>
    /// For an inbound PUBLISH larger than <see cref="MaximumPacketSize"/>: how many payload bytes are kept (the rest is
    /// read through and discarded, never buffered whole). The message is delivered with
    /// <see cref="MqttApplicationMessage.OversizeLength"/> set, so the consumer can quarantine and acknowledge it.
    /// At most its topic and properties (bounded by MaximumPacketSize) plus this prefix are ever buffered.
    /// </summary>
    public int OversizePrefixBytes { get; set; } = 1024;

    /// <summary>
    /// Where received payloads up to 4 KiB are copied (larger ones get their own array): for a consumer that stores a
    /// message and then has no further use for its payload, and hands the memory back itself (EdgeStore's batch writer
    /// does, after the commit). Null (the default) gives every payload its own array.
    /// </summary>
    public MqttPayloadAllocator? PayloadAllocator { get; set; }

    /// <summary>How long the broker may take to answer SUBSCRIBE, UNSUBSCRIBE or PINGREQ before the connection is
    /// closed and made again. The wait restarts whenever bytes arrive (the answer may queue behind messages), and
    /// time the consumer holds the receive loop does not count.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public MqttTlsOptions? Tls { get; set; }

    /// <summary>Limit for TCP connect, TLS handshake and CONNACK together.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Subscribed after every successful connect (also when the broker kept the session).</summary>
    public IList<MqttSubscription> Subscriptions { get; set; } = [];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("Host must not be empty.", nameof(Host));
        }

        if (Port is < 1 or > 65535)
        {
            throw new ArgumentException($"Port {Port} is outside 1..65535.", nameof(Port));
        }

        if (ClientId is null || System.Text.Encoding.UTF8.GetByteCount(ClientId) > ushort.MaxValue)
        {
            throw new ArgumentException("ClientId must be set and at most 65535 UTF-8 bytes.", nameof(ClientId));
        }

        if (ProtocolVersion is not (MqttProtocolVersion.V311 or MqttProtocolVersion.V500))
        {
            throw new ArgumentException($"ProtocolVersion {ProtocolVersion} is not supported.", nameof(ProtocolVersion));
        }

        if (KeepAlive < TimeSpan.Zero || KeepAlive.TotalSeconds > ushort.MaxValue)
        {
            throw new ArgumentException("KeepAlive must be between 0 and 65535 s.", nameof(KeepAlive));
        }

        if (SessionExpiryInterval < TimeSpan.Zero)
        {
            throw new ArgumentException("SessionExpiryInterval must not be negative.", nameof(SessionExpiryInterval));
        }

        if (ReceiveMaximum == 0)
        {
            throw new ArgumentException("ReceiveMaximum must be at least 1.", nameof(ReceiveMaximum));
        }

        if (MaximumPacketSize < 128)
        {
            throw new ArgumentException("MaximumPacketSize must be at least 128 bytes.", nameof(MaximumPacketSize));
        }

        if (OversizePrefixBytes is < 0 or > MaxOversizePrefixBytes)
        {
            throw new ArgumentException($"OversizePrefixBytes must be between 0 and {MaxOversizePrefixBytes}.", nameof(OversizePrefixBytes));
        }

        if (ResponseTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("ResponseTimeout must be positive.", nameof(ResponseTimeout));
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("ConnectTimeout must be positive.", nameof(ConnectTimeout));
        }

        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay)
        {
            throw new ArgumentException("ReconnectMinDelay must be positive and at most ReconnectMaxDelay.", nameof(ReconnectMinDelay));
        }

        foreach (var subscription in Subscriptions)
        {
            if (!MqttTopicFilter.IsValidFilter(subscription.Filter))
            {
                throw new ArgumentException($"Subscription filter '{subscription.Filter}' is not a valid MQTT topic filter.", nameof(Subscriptions));
            }

            if (subscription.RetainHandling is not (MqttRetainHandling.SendAtSubscribe or MqttRetainHandling.SendIfNewSubscription or MqttRetainHandling.DoNotSend))
            {
                throw new ArgumentException($"Subscription '{subscription.Filter}' has an unknown retain handling {subscription.RetainHandling}.", nameof(Subscriptions));
            }
        }

        if (Will is not null && !MqttTopicFilter.IsValidTopicName(Will.Topic))
        {
            throw new ArgumentException($"Will topic '{Will.Topic}' is not a valid topic name.", nameof(Will));
        }

        if (Tls is { ClientCertificateFile: not null, ClientKeyFile: null })
        {
            throw new ArgumentException("Tls.ClientKeyFile is required with Tls.ClientCertificateFile.", nameof(Tls));
        }
    }
}
