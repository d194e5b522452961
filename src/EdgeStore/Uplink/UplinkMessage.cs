using System.Globalization;
using System.Text;
using EdgeStore.Storage.Forwarding;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeStore.Uplink;

/// <summary>
/// How a stored row goes upstream: at QoS 1, payload unchanged, not retained. Under MQTT 5 the topic is
/// `&lt;prefix&gt;/&lt;original topic&gt;` and user properties carry the node (`edgestore-node`), the row id
/// (`edgestore-id`) and the time EdgeStore received it (`edgestore-received-ms`), so a consumer drops an at-least-once
/// redelivery by (node, id). MQTT 3.1.1 has no properties: the id goes into the topic as the level after the prefix,
/// `&lt;prefix&gt;/&lt;id&gt;/&lt;original topic&gt;` (the prefix names the node). Quarantined rows, when forwarded, go
/// under `&lt;prefix&gt;/quarantine/...` with their own id in `edgestore-quarantine-id` (quarantine ids are a separate
/// sequence, so `edgestore-id` always names a stored reading) and the reason in `edgestore-quarantine-reason` (MQTT 5).
/// </summary>
internal sealed class UplinkMessage
{
    public const string NodeProperty = "edgestore-node";
    public const string IdProperty = "edgestore-id";
    public const string ReceivedProperty = "edgestore-received-ms";
    public const string QuarantineIdProperty = "edgestore-quarantine-id";
    public const string ReasonProperty = "edgestore-quarantine-reason";

    private const int MaxCachedTopics = 10_000;

    private readonly Dictionary<string, string> _topics = new(StringComparer.Ordinal);
    private readonly string _prefix;
    private readonly ReadOnlyMemory<byte> _node;
    private readonly bool _mqtt5;

    public UplinkMessage(string topicPrefix, string nodeId, bool mqtt5)
    {
        _prefix = topicPrefix;
        _node = Encoding.UTF8.GetBytes(nodeId);
        _mqtt5 = mqtt5;
    }

    /// <summary>The upstream topic of <paramref name="row"/>.</summary>
    public string Topic(ForwardRow row, ForwardStream stream)
    {
        ArgumentNullException.ThrowIfNull(row);
        var quarantine = stream == ForwardStream.Quarantine ? "/quarantine" : string.Empty;
        if (!_mqtt5)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{_prefix}{quarantine}/{row.Id}/{row.Topic}");
        }

        if (stream == ForwardStream.Quarantine)
        {
            return $"{_prefix}{quarantine}/{row.Topic}";
        }

        // A gateway has a bounded set of series; their upstream topics are built once (bounded, in case it has not).
        if (!_topics.TryGetValue(row.Topic, out var topic))
        {
            if (_topics.Count >= MaxCachedTopics)
            {
                _topics.Clear();
            }

            topic = $"{_prefix}/{row.Topic}";
            _topics[row.Topic] = topic;
        }

        return topic;
    }

    public MqttApplicationMessage Build(ForwardRow row, ForwardStream stream)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(Topic(row, stream))
            .WithPayload(row.Payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (_mqtt5)
        {
            // The two numbers in one small buffer: one allocation per row for both property values.
            var digits = new byte[40];
            row.Id.TryFormat(digits, out var idLength, default, CultureInfo.InvariantCulture);
            row.ReceivedAtMs.TryFormat(digits.AsSpan(20), out var receivedLength, default, CultureInfo.InvariantCulture);
            builder = builder
                .WithUserProperty(NodeProperty, _node)
                .WithUserProperty(stream == ForwardStream.Quarantine ? QuarantineIdProperty : IdProperty, digits.AsMemory(0, idLength))
                .WithUserProperty(ReceivedProperty, digits.AsMemory(20, receivedLength));
            if (row.Reason is { } reason)
            {
                builder = builder.WithUserProperty(ReasonProperty, Encoding.UTF8.GetBytes(reason).AsMemory());
            }
        }

        return builder.Build();
    }
}
