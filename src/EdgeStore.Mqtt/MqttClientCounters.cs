namespace EdgeStore.Mqtt;

/// <summary>Monotonic counters of one <see cref="MqttClient"/>; safe to read from any thread.</summary>
public sealed class MqttClientCounters
{
    private long _messagesReceived;
    private long _messagesPublished;
    private long _acksSent;
    private long _acksDroppedStale;
    private long _reconnects;
    private long _protocolErrors;
    private long _connectFailures;
    private long _receiveMaximumExceeded;
    private long _releasesAcknowledged;
    private long _oversizeMessages;
    private long _subscriptionsRefused;

    /// <summary>PUBLISH packets handed to the consumer (redeliveries included).</summary>
    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    /// <summary>Our PUBLISH packets completed (written for QoS 0, acknowledged for QoS 1/2).</summary>
    public long MessagesPublished => Interlocked.Read(ref _messagesPublished);

    /// <summary>PUBACK and PUBREC packets written for consumer acknowledgements.</summary>
    public long AcksSent => Interlocked.Read(ref _acksSent);

    /// <summary>Acknowledgements (of PUBLISH or PUBREL) dropped because their connection had died (or the packet was
    /// already acknowledged).</summary>
    public long AcksDroppedStale => Interlocked.Read(ref _acksDroppedStale);

    /// <summary>Successful connections after the first one.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Connections closed because the broker broke the protocol.</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>Connection attempts that failed (TCP, TLS, refused, timeout).</summary>
    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    /// <summary>Inbound QoS 1/2 messages that arrived beyond our receive maximum (tolerated, see
    /// <see cref="MqttClientOptions.DisconnectOnReceiveMaximumExceeded"/>).</summary>
    public long ReceiveMaximumExceeded => Interlocked.Read(ref _receiveMaximumExceeded);

    /// <summary>PUBCOMP packets written for consumer acknowledgements of PUBREL (see <see cref="MqttClient.ReleaseReceived"/>).</summary>
    public long ReleasesAcknowledged => Interlocked.Read(ref _releasesAcknowledged);

    /// <summary>PUBLISH packets larger than <see cref="MqttClientOptions.MaximumPacketSize"/> that were read through
    /// and delivered with only their payload prefix (<see cref="MqttApplicationMessage.OversizeLength"/>).</summary>
    public long OversizeMessages => Interlocked.Read(ref _oversizeMessages);

    /// <summary>Configured filters the broker refused in a SUBACK (each refusal of each retry counts).</summary>
    public long SubscriptionsRefused => Interlocked.Read(ref _subscriptionsRefused);

    internal void AddSubscriptionRefused() => Interlocked.Increment(ref _subscriptionsRefused);

    internal void AddOversizeMessage() => Interlocked.Increment(ref _oversizeMessages);

    internal void AddReleaseAcknowledged() => Interlocked.Increment(ref _releasesAcknowledged);

    internal void AddReceiveMaximumExceeded() => Interlocked.Increment(ref _receiveMaximumExceeded);

    internal void AddMessageReceived() => Interlocked.Increment(ref _messagesReceived);

    internal void AddMessagePublished() => Interlocked.Increment(ref _messagesPublished);

    internal void AddAckSent() => Interlocked.Increment(ref _acksSent);

    internal void AddAckDroppedStale() => Interlocked.Increment(ref _acksDroppedStale);

    internal void AddReconnect() => Interlocked.Increment(ref _reconnects);

    internal void AddProtocolError() => Interlocked.Increment(ref _protocolErrors);

    internal void AddConnectFailure() => Interlocked.Increment(ref _connectFailures);
}
