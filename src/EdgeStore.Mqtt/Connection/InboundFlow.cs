namespace EdgeStore.Mqtt.Connection;

/// <summary>
/// State of the broker's QoS 1/2 packet ids on ONE connection. A message is inflight from its PUBLISH until we send
/// PUBACK (QoS 1) or PUBCOMP (QoS 2); the consumer's acknowledgement moves it on, never a timer. The count is what
/// MQTT 5 receive maximum limits. A new connection starts with a fresh instance, so an ack of a dead connection can
/// never match here.
/// QoS 2 has two shapes. Without a release consumer, PUBCOMP answers PUBREL at once. With one, PUBREL is handed to
/// the consumer and PUBCOMP waits for its acknowledgement, so it can forget the packet id durably first; a PUBREL
/// for an id this connection never saw (resent for a PUBREC of an earlier connection) is inflight the same way.
/// </summary>
internal sealed class InboundFlow
{
    private const byte Free = 0;
    private const byte AwaitingConsumerQos1 = 1;
    private const byte AwaitingConsumerQos2 = 2;
    private const byte AwaitingPubRel = 3;
    private const byte AwaitingReleaseAck = 4;

    private readonly byte[] _states = new byte[ushort.MaxValue + 1];
    private readonly Lock _gate = new();
    private int _inflight;

    public int Inflight
    {
        get
        {
            lock (_gate)
            {
                return _inflight;
            }
        }
    }

    /// <summary>Registers an inbound PUBLISH (QoS 1/2) and says what to do with it.</summary>
    public InboundPublishAction OnPublish(ushort packetId, MqttQualityOfService qos, out int inflight)
    {
        lock (_gate)
        {
            var state = _states[packetId];
            inflight = _inflight;
            if (state == AwaitingPubRel)
            {
                // Already PUBREC'd: the broker resent it before our PUBREC arrived; do not deliver twice (method B).
                return InboundPublishAction.ResendPubRec;
            }

            if (state == AwaitingReleaseAck)
            {
                // The broker released this id (PUBREL) and may not reuse it before our PUBCOMP (MQTT-2.2.1-3).
                return InboundPublishAction.ReusedBeforePubComp;
            }

            if (state == Free)
            {
                _inflight++;
            }

            _states[packetId] = qos == MqttQualityOfService.AtLeastOnce ? AwaitingConsumerQos1 : AwaitingConsumerQos2;
            inflight = _inflight;
            return InboundPublishAction.Deliver;
        }
    }

    /// <summary>The consumer acknowledged: true when PUBACK/PUBREC must be sent now (false for unknown or repeated acks).</summary>
    public bool TryAcknowledge(ushort packetId, MqttQualityOfService qos)
    {
        lock (_gate)
        {
            var state = _states[packetId];
            if (qos == MqttQualityOfService.AtLeastOnce && state == AwaitingConsumerQos1)
            {
                _states[packetId] = Free;
                _inflight--;
                return true;
            }

            if (qos == MqttQualityOfService.ExactlyOnce && state == AwaitingConsumerQos2)
            {
                _states[packetId] = AwaitingPubRel;
                return true;
            }

            return false;
        }
    }

    /// <summary>PUBREL arrived and PUBCOMP goes out at once: the QoS 2 exchange ends. False when the id was not
    /// awaiting PUBREL (for example a PUBREL the broker resends for a PUBREC of an earlier connection).</summary>
    public bool OnPubRel(ushort packetId)
    {
        lock (_gate)
        {
            if (_states[packetId] != AwaitingPubRel)
            {
                return false;
            }

            _states[packetId] = Free;
            _inflight--;
            return true;
        }
    }

    /// <summary>
    /// PUBREL arrived and is handed to the consumer: the id stays inflight until <see cref="TryRelease"/>. An id this
    /// connection does not know (the PUBREC went out on an earlier connection) becomes inflight here. False when the
    /// id still waits for the consumer's PUBACK/PUBREC: the broker cannot release what it was never told we received.
    /// </summary>
    public bool OnPubRelForConsumer(ushort packetId)
    {
        lock (_gate)
        {
            switch (_states[packetId])
            {
                case Free:
                    _inflight++;
                    _states[packetId] = AwaitingReleaseAck;
                    return true;
                case AwaitingPubRel:
                    _states[packetId] = AwaitingReleaseAck;
                    return true;
                case AwaitingReleaseAck:
                    // Repeated PUBREL: deliver again, PUBCOMP still goes out once.
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>The consumer acknowledged a release: true when PUBCOMP must be sent now (false for unknown or repeated acks).</summary>
    public bool TryRelease(ushort packetId)
    {
        lock (_gate)
        {
            if (_states[packetId] != AwaitingReleaseAck)
            {
                return false;
            }

            _states[packetId] = Free;
            _inflight--;
            return true;
        }
    }
}
