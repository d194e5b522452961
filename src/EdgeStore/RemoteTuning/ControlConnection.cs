using System.Text;
using EdgeStore.Configuration;
using EdgeStore.Ingest;
using EdgeStore.Mqtt;
using Microsoft.Extensions.Logging;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// EdgeStore's control connection to the broker: `state`, `config/reported` and `metrics` out, `config/desired` and
/// `cmd/maintenance` in. It is a second MQTT connection (client id `&lt;Mqtt:ClientId&gt;-control`), not the ingest one:
/// <list type="bullet">
/// <item>Control messages never enter the telemetry path, so they can never be stored as telemetry, and ingest's
/// ack-after-commit bookkeeping never has to account for them; a flood of desired documents back-pressures this
/// connection only, never telemetry.</item>
/// <item>It has its own limits: a small receive window, and a packet limit that lets an oversized desired document
/// arrive so it can be answered `too_large` (larger than that, the broker drops it for us).</item>
/// <item>The will (`state` = `offline`, retained) is tied to this connection, which lives exactly as long as the daemon.</item>
/// </list>
/// Same broker, credentials and TLS identity as ingest, so the broker ACL for the device's identity covers both.
/// </summary>
internal sealed partial class ControlConnection : IAsyncDisposable
{
    public const string Online = "online";
    public const string Offline = "offline";
    private const uint MaximumPacketSizeBytes = 2 * 1024 * 1024;

    private readonly MqttClient _client;
    private readonly ILogger<ControlConnection> _logger;

    public ControlConnection(EdgeStoreSettings settings, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        Topics = new ControlTopics(settings.Node.Id ?? Environment.MachineName);
        var options = IngestOptions.ForClient(settings.Mqtt, settings.Ingest);
        options.ClientId += "-control";
        options.Subscriptions.Clear();
        if (settings.RemoteTuning.Enabled)
        {
            // Only EdgeStore's own inbound topics: never a wildcard that could reach another node's documents.
            options.Subscriptions.Add(new MqttSubscription(Topics.Desired, MqttQualityOfService.AtLeastOnce));
            options.Subscriptions.Add(new MqttSubscription(Topics.MaintenanceCommand, MqttQualityOfService.AtLeastOnce));
        }

        options.ReceiveMaximum = 16;
        options.MaximumPacketSize = MaximumPacketSizeBytes;
        options.Will = new MqttWillMessage
        {
            Topic = Topics.State,
            Payload = Encoding.UTF8.GetBytes(Offline),
            Qos = MqttQualityOfService.AtLeastOnce,
            Retain = true,
        };
        _logger = loggerFactory.CreateLogger<ControlConnection>();
        _client = new MqttClient(options, loggerFactory.CreateLogger<MqttClient>(), timeProvider);
        _client.MessageReceived = (message, ct) => MessageReceived?.Invoke(message, ct) ?? AcknowledgeUnhandled(message);
        _client.ConnectionChanged += change =>
        {
            if (change.Connected)
            {
                Connected?.Invoke();
            }
        };
    }

    public ControlTopics Topics { get; }

    public bool IsConnected => _client.IsConnected;

    /// <summary>Raised on every (re)connect, after the inbound topics are subscribed (from the client's loop: do not block).</summary>
    public event Action? Connected;

    /// <summary>Inbound messages; awaited by the receive loop. The handler acknowledges each message once it is dealt with.</summary>
    public Func<MqttApplicationMessage, CancellationToken, ValueTask>? MessageReceived { get; set; }

    public Task StartAsync(CancellationToken ct) => _client.StartAsync(ct);

    public void Acknowledge(MqttApplicationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.AckToken.RequiresAck)
        {
            _client.Acknowledge(message.AckToken);
        }
    }

    /// <summary>Publishes when connected; false (logged at debug) when not connected or the broker did not take it.</summary>
    public async Task<bool> TryPublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos, bool retain, CancellationToken ct)
    {
        if (!_client.IsConnected)
        {
            LogNotPublished(_logger, topic, "not connected");
            return false;
        }

        try
        {
            await _client.PublishAsync(topic, payload, qos, retain, ct);
            return true;
        }
        catch (MqttException e)
        {
            LogNotPublished(_logger, topic, e.Message);
            return false;
        }
    }

    /// <summary>Says `offline` (retained) itself, since a clean DISCONNECT suppresses the will, then disconnects.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        await TryPublishAsync(Topics.State, Encoding.UTF8.GetBytes(Offline), MqttQualityOfService.AtLeastOnce, retain: true, ct);
        try
        {
            await _client.StopAsync(ct);
        }
        catch (Exception e) when (e is MqttException or IOException or OperationCanceledException)
        {
            LogNotPublished(_logger, Topics.State, e.Message);
        }
    }

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    private ValueTask AcknowledgeUnhandled(MqttApplicationMessage message)
    {
        Acknowledge(message);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Debug, Message = "Control message to {Topic} not published: {Reason}")]
    private static partial void LogNotPublished(ILogger logger, string topic, string reason);
}
