using System.Threading.Channels;
using EdgeStore.Configuration;
using EdgeStore.Decoding;
using EdgeStore.Status;
using EdgeStore.Mqtt;
using EdgeStore.Safety;
using EdgeStore.Storage;
using EdgeStore.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Ingest;

/// <summary>
/// EdgeStore's main job: broker → MqttClient → decoder → bounded channel → BatchWriter → COMMIT → acknowledgements.
/// <list type="bullet">
/// <item>It does not open the database: <see cref="StoreStartup"/> has opened and migrated it, attached the memory
/// governor and maintenance, and created the writer before this service starts; this one runs the writer's loop.</item>
/// <item>The channel is bounded and the MQTT receive loop awaits the write into it: when the writer falls behind, the
/// socket stops being read and the broker queues (docs/ARCHITECTURE.md, C2: TCP back-pressure).</item>
/// <item>Acknowledgements are released only for the ack tags a committed batch reports (docs/ARCHITECTURE.md, C1).</item>
/// <item>StopAsync drains in the one safe order: stop taking messages, complete the channel, let the writer commit and
/// report, hand the acks to the client, and only then stop the client, which flushes them before DISCONNECT.</item>
/// </list>
/// </summary>
internal sealed partial class IngestService : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan IdleBeatInterval = TimeSpan.FromMilliseconds(500);
    private const int QuarantineWarningsInFull = 10;
    private const int QuarantineWarningEvery = 1000;

    private readonly EdgeStoreSettings _settings;
    private readonly DaemonStatus _status;
    private readonly IngestHeartbeat _heartbeat;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger<IngestService> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly PayloadDecoder _decoder;
    private readonly PayloadSlab _payloads = new();
    private readonly CancellationTokenSource _writerStop = new();
    private readonly CancellationTokenSource _beatStop = new();

    // Completed when the client is being stopped: message handlers parked during the drain return then, without
    // storing (and so without acknowledging) what they hold; the broker redelivers it to the persistent session.
    private readonly TaskCompletionSource _releaseParked = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TelemetryStore _store;
    private BatchWriter? _writer;
    private IngestQueue? _channel;
    private MqttClient? _client;
    private Task _writerTask = Task.CompletedTask;
    private Task _beatTask = Task.CompletedTask;
    private int _accepting;
    private int _handlersInFlight;
    private int _handlersParked;
    private int _handlersWaitingForQueue;
    private long _backlog;
    private long _quarantinedSeen;
    private long _quarantineLoggedAt;
    private bool _expectSession;
    private int _warnedV311;
    private volatile Exception? _fault;
    private readonly DiskGuard? _diskGuard;
    private readonly CancellationTokenSource _ackGateRelease = new();

    public IngestService(
        EdgeStoreSettings settings,
        DaemonStatus status,
        IngestHeartbeat heartbeat,
        ILoggerFactory loggerFactory,
        TimeProvider timeProvider,
        IHostApplicationLifetime lifetime,
        TelemetryStore store,
        DiskGuard? diskGuard = null)
    {
        _store = store;
        _diskGuard = diskGuard;
        _settings = settings;
        _status = status;
        _heartbeat = heartbeat;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<IngestService>();
        _timeProvider = timeProvider;
        _lifetime = lifetime;
        _decoder = new PayloadDecoder(settings.Decoder.JsonTopics);
    }

    /// <summary>Why ingestion stopped on its own (the writer failed), or null. A non-null fault makes `edgestore run` exit 1.</summary>
    public Exception? Fault => _fault;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_store.Database is not { } database || _store.Writer is not { } writer)
        {
            throw new InvalidOperationException("The telemetry store is not open: StoreStartup opens it before ingestion starts.");
        }

        // A database that already holds series was written under this client id's session: the first connection
        // is expected to find that session at the broker, and a broker that lost it lost what it queued for us.
        _expectSession = (await database.Reader.ListSeriesAsync(cancellationToken)).Count > 0;

        _writer = writer;
        _writer.Heartbeat = _heartbeat.WriterBeat;
        _channel = new IngestQueue(_settings.Ingest.QueueCapacity, (long)_settings.Ingest.QueueCapacityMiB << 20);
        _writerTask = Task.Run(RunWriterAsync, CancellationToken.None);

        var clientOptions = IngestOptions.ForClient(_settings.Mqtt, _settings.Ingest);

        // Payloads are copied into the slab's blocks and the batch writer releases each after its commit: a burst of
        // small messages allocates no array per payload and leaves none for the collector to copy (IngestRecord.PayloadBlock).
        clientOptions.PayloadAllocator = _payloads.Allocate;
        _client = new MqttClient(clientOptions, _loggerFactory.CreateLogger<MqttClient>(), _timeProvider)
        {
            MessageReceived = OnMessageAsync,
            ReleaseReceived = OnReleaseAsync,
            ConnectionAccepted = OnConnectionAcceptedAsync,
        };
        _client.ConnectionChanged += OnConnectionChanged;
        Volatile.Write(ref _accepting, 1);
        await _client.StartAsync(cancellationToken);
        _beatTask = Task.Run(() => BeatAsync(_beatStop.Token), CancellationToken.None);

        _status.Phase = "running";
        LogStarted(_logger, clientOptions.Host, clientOptions.Port, clientOptions.ClientId, _settings.Ingest.QueueCapacity, _settings.Ingest.QueueCapacityMiB, _settings.Ingest.MaxBatchRows, _settings.Ingest.MaxBatchLatencyMs);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_client is null || _channel is null)
        {
            return; // StartAsync failed before ingestion began; DisposeAsync closes what was opened.
        }

        _status.Phase = "stopping";
        LogStopping(_logger, Interlocked.Read(ref _backlog));

        // 1. Take no more messages: handlers that arrive from now on park, so the receive loop stops reading.
        //    A batch held at a closed ack gate (disk low) is left unacknowledged: the broker redelivers it.
        Volatile.Write(ref _accepting, 0);
        await _ackGateRelease.CancelAsync();
        _channel.Complete();

        // 2. The writer commits everything queued, reports each batch (acks go to the client) and returns. If the host's
        //    shutdown timeout runs out first, it commits what it holds and returns; the rest is redelivered later.
        await using (cancellationToken.Register(() => _writerStop.Cancel()))
        {
            await _writerTask;
        }

        // 3. The client flushes the acks it was handed, then sends DISCONNECT and closes the connection, which cancels
        //    the parked handlers' token; they return without storing, so nothing they held is acknowledged.
        try
        {
            await _client.StopAsync(cancellationToken);
        }
        catch (Exception e) when (e is MqttException or OperationCanceledException or IOException)
        {
            LogClientStopFailed(_logger, e);
        }
        finally
        {
            _releaseParked.TrySetResult();
        }

        await _beatStop.CancelAsync();
        await _beatTask;
        PublishClientState();
        _status.BrokerConnected = false;
        _status.Phase = "stopped";
        LogStopped(_logger, _status.RowsStored, _status.Acknowledged, _status.Quarantined, _status.OversizeQuarantined, _status.Redeliveries, _status.SubscriptionsRefused, _status.BrokerLossWarnings);
    }

    /// <summary>Closes the MQTT client; the writer and the database belong to the <see cref="TelemetryStore"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        _writerStop.Dispose();
        _beatStop.Dispose();
        _ackGateRelease.Dispose();
    }

    private async Task RunWriterAsync()
    {
        try
        {
            await _writer!.RunAsync(_channel!.Reader, OnCommittedAsync, _writerStop.Token);
            if (Volatile.Read(ref _accepting) == 1)
            {
                throw new InvalidOperationException("the batch writer returned while ingestion was still running");
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || Volatile.Read(ref _accepting) == 1)
        {
            // Nothing more can be committed, so nothing more may be acknowledged: stop the daemon (exit 1) and let
            // systemd restart it; the broker redelivers everything unacknowledged to the persistent session.
            _fault = e;
            LogWriterFailed(_logger, e);
            _lifetime.StopApplication();
        }
        catch (OperationCanceledException)
        {
            // Shutdown timeout: the writer committed and reported what it held.
        }
    }

    private async ValueTask OnMessageAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        var receivedAt = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        var decoded = message.OversizeLength is { } length ? Oversize(message, length) : Decode(message);
        if (decoded.QuarantineReason is not null)
        {
            var seen = Interlocked.Increment(ref _quarantinedSeen);
            if (seen <= QuarantineWarningsInFull || seen % QuarantineWarningEvery == 0)
            {
                // The lines in between were not logged: say how many, so a reader of the journal knows what it misses.
                var previous = Interlocked.Exchange(ref _quarantineLoggedAt, seen);
                var suppressed = Math.Max(0, seen - previous - 1);
                LogQuarantined(_logger, message.Topic, decoded.QuarantineReason, seen, suppressed > 0 ? $"; {suppressed} more quarantined since the previous line, not logged one by one (`edgestore quarantine` lists them)" : string.Empty);
            }
        }

        var record = new IngestRecord(
            message.Topic,
            message.Payload,
            (byte)message.Qos,
            message.Retain,
            receivedAt,
            decoded.DeviceTimestampUnixMs,
            decoded.DeviceSequence,
            decoded.QuarantineReason,
            message.AckToken.RequiresAck ? message.AckToken.Value : 0)
        {
            // What the writer needs to tell a redelivery from a reading: the broker's own words, never the content.
            PacketId = message.PacketId,
            Redelivered = message.Duplicate,
            PayloadBlock = message.PayloadOwner as PayloadBlock,
        };

        if (await EnqueueAsync(record, cancellationToken))
        {
            _status.Backlog = Interlocked.Increment(ref _backlog);
        }
    }

    // PUBREL of a QoS 2 message: its packet id is forgotten in a commit, and only then does the PUBCOMP go out.
    private async ValueTask OnReleaseAsync(MqttAckToken release, CancellationToken cancellationToken) =>
        await EnqueueAsync(IngestRecord.Release(release.PacketId, release.Value), cancellationToken);

    /// <summary>
    /// Runs after CONNACK and before any packet of the connection is delivered, and tells the writer, ahead of this
    /// connection's messages, which session they belong to. A new session (session present 0) means the broker holds
    /// nothing unacknowledged for us: the recorded packet ids are forgotten so a stale one can never swallow a new
    /// message. A resumed one starts the broker's in-order resend, which the writer follows to recognise redeliveries.
    /// When a session was expected, or the connection is MQTT 3.1.1, the operator is told that the broker may have
    /// dropped messages.
    /// </summary>
    private async ValueTask OnConnectionAcceptedAsync(MqttConnectionEvent accepted, CancellationToken cancellationToken)
    {
        if (accepted.ProtocolVersion == MqttProtocolVersion.V311 && Interlocked.Exchange(ref _warnedV311, 1) == 0)
        {
            _status.AddBrokerLossWarning();
            LogMqtt311LossLikely(_logger);
        }

        if (!accepted.SessionPresent && _expectSession)
        {
            _status.AddBrokerLossWarning();
            LogSessionLost(_logger, _settings.Mqtt.ClientId!);
        }

        await EnqueueAsync(accepted.SessionPresent ? IngestRecord.SessionResumed() : IngestRecord.NewSession(), cancellationToken);

        _expectSession = true;
    }

    // The message path's one way into the bounded channel: true when queued, false when it was parked (stopping).
    private async ValueTask<bool> EnqueueAsync(IngestRecord record, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _handlersInFlight);
        try
        {
            if (Volatile.Read(ref _accepting) == 0)
            {
                await ParkAsync(cancellationToken);
                return false;
            }

            // Awaiting a full channel here is the back-pressure: the client's receive loop stops reading the socket.
            if (!_channel!.TryWrite(record))
            {
                Interlocked.Increment(ref _handlersWaitingForQueue);
                try
                {
                    await _channel.WriteAsync(record, cancellationToken);
                }
                catch (ChannelClosedException)
                {
                    await ParkAsync(cancellationToken);
                    return false;
                }
                finally
                {
                    Interlocked.Decrement(ref _handlersWaitingForQueue);
                }
            }

            _heartbeat.IngestLoopBeat();
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _handlersInFlight);
        }
    }

    /// <summary>
    /// A PUBLISH over Mqtt:MaximumPacketSizeBytes was read through without buffering it (a broker speaking MQTT 3.1.1
    /// cannot be told the limit). It is quarantined with its size and first bytes and acknowledged, so it can never
    /// come back on every reconnect and block what follows it (C5).
    /// </summary>
    private DecodedPayload Oversize(MqttApplicationMessage message, long length)
    {
        _status.AddOversizeQuarantined();
        return new DecodedPayload(
            PayloadKind.Quarantined,
            null,
            null,
            $"oversize: {length} bytes exceeds Mqtt:MaximumPacketSizeBytes ({_settings.Mqtt.MaximumPacketSizeBytes}); first {message.Payload.Length} bytes kept");
    }

    /// <summary>
    /// The decoder is written never to throw; should it anyway, the message goes to quarantine with the reason rather
    /// than staying unacknowledged and coming back forever (docs/ARCHITECTURE.md, C5: bad input never stops ingestion).
    /// </summary>
    private DecodedPayload Decode(MqttApplicationMessage message)
    {
        try
        {
            return _decoder.Decode(message.Topic, message.Payload.Span, message.ContentType);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new DecodedPayload(PayloadKind.Quarantined, null, null, $"decoder failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private async Task ParkAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _handlersParked);
        try
        {
            await _releaseParked.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The client is shutting its receive loop down; the message stays unacknowledged.
        }
        finally
        {
            Interlocked.Decrement(ref _handlersParked);
        }
    }

    private ValueTask OnCommittedAsync(CommittedBatch batch, CancellationToken cancellationToken)
    {
        if (_diskGuard is { AcksAllowed: false } gate)
        {
            return AcknowledgeWhenAllowedAsync(gate, batch, cancellationToken);
        }

        return AcknowledgeAsync(batch, cancellationToken);
    }

    // Disk low (C5): the batch is committed but not acknowledged until the gate opens; holding here also holds the
    // writer, so the bounded queue fills and the socket stops being read. At shutdown it is left unacknowledged.
    private async ValueTask AcknowledgeWhenAllowedAsync(DiskGuard gate, CommittedBatch batch, CancellationToken cancellationToken)
    {
        try
        {
            await gate.WaitUntilAllowedAsync(_ackGateRelease.Token);
        }
        catch (OperationCanceledException)
        {
            _status.Backlog = Math.Max(0, Interlocked.Add(ref _backlog, -batch.Records));
            _status.AddStored(batch.Inserted, batch.Quarantined, 0);
            _status.AddRedeliveries(batch.Redeliveries);
            return;
        }

        await AcknowledgeAsync(batch, cancellationToken);
    }

    private async ValueTask AcknowledgeAsync(CommittedBatch batch, CancellationToken cancellationToken)
    {
        // Runs after COMMIT returned: these and only these messages are durable, so these and only these are
        // acknowledged. Their packet ids are forgotten first (the broker may reuse an id once it has the PUBACK), and
        // only for acknowledgements that can still reach the broker: a message whose connection is gone keeps its
        // record, so its redelivery is recognised.
        var client = _client!;
        var acknowledgeable = batch.AckTags.Count == 0
            ? batch.AckTags
            : await batch.SettleAsync(tag => client.CanAcknowledge(new MqttAckToken(tag)), cancellationToken);
        if (acknowledgeable.Count > 0)
        {
            var tokens = new MqttAckToken[acknowledgeable.Count];
            for (var i = 0; i < tokens.Length; i++)
            {
                tokens[i] = new MqttAckToken(acknowledgeable[i]);
            }

            client.Acknowledge(tokens);
        }

        _status.Backlog = Math.Max(0, Interlocked.Add(ref _backlog, -batch.Records));
        _status.AddStored(batch.Inserted, batch.Quarantined, acknowledgeable.Count);
        _status.AddRedeliveries(batch.Redeliveries);
        LogCommitted(_logger, batch.Inserted, batch.Redeliveries, batch.Quarantined, batch.CommitDuration.TotalMilliseconds, acknowledgeable.Count);
    }

    private void OnConnectionChanged(MqttConnectionEvent change)
    {
        _status.BrokerConnected = change.Connected;
        if (change.Connected)
        {
            var filters = string.Join(", ", _settings.Mqtt.Subscriptions.Select(s => $"{s.Filter} (QoS {s.Qos})"));
            LogSubscribed(_logger, filters, change.SessionPresent);
        }
        else if (Volatile.Read(ref _accepting) == 1)
        {
            LogDisconnected(_logger, change.Reason ?? "connection closed", Interlocked.Read(ref _backlog));
        }
    }

    /// <summary>
    /// Beats for the ingest side between messages: while idle, waiting for the broker, parked during a stop, or waiting
    /// for room in a full queue (that is back-pressure, and the writer's own beat tells whether the writer is alive, for
    /// example through a long maintenance pause). Only a handler busy anywhere else for longer than the staleness limit
    /// stops the beat, since a handler normally takes microseconds; each completed message beats as well.
    /// </summary>
    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(IdleBeatInterval, _timeProvider);
        try
        {
            do
            {
                if (Volatile.Read(ref _handlersInFlight) - Volatile.Read(ref _handlersParked) - Volatile.Read(ref _handlersWaitingForQueue) <= 0)
                {
                    _heartbeat.IngestLoopBeat();
                }

                PublishClientState();
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    // What the MQTT client knows that status and metrics show: connected (every subscription granted) and refusals.
    private void PublishClientState()
    {
        if (_client is { } client)
        {
            _status.BrokerConnected = client.IsConnected;
            _status.SubscriptionsRefused = client.Counters.SubscriptionsRefused;
            _status.RefusedSubscriptions = client.RefusedSubscriptions;
        }
    }

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Ingesting from {Host}:{Port} as {ClientId} (queue of up to {QueueCapacity} messages or {QueueCapacityMiB} MiB of payload, batches of up to {MaxBatchRows} rows or {MaxBatchLatencyMs} ms)")]
    private static partial void LogStarted(ILogger logger, string host, int port, string clientId, int queueCapacity, int queueCapacityMiB, int maxBatchRows, int maxBatchLatencyMs);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Subscribed to {Filters} (session present: {SessionPresent})")]
    private static partial void LogSubscribed(ILogger logger, string filters, bool sessionPresent);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Disconnected from the broker: {Reason}; {Backlog} messages received and not yet committed (unacknowledged ones are redelivered)")]
    private static partial void LogDisconnected(ILogger logger, string reason, long backlog);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Quarantined a message on {Topic}: {Reason} ({QuarantinedSoFar} quarantined since start{Suppressed})")]
    private static partial void LogQuarantined(ILogger logger, string topic, string reason, long quarantinedSoFar, string suppressed);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Committed {Inserted} rows ({Redeliveries} redeliveries acknowledged without storing, {Quarantined} quarantined) in {CommitMs:F1} ms; acknowledged {Acknowledged}")]
    private static partial void LogCommitted(ILogger logger, int inserted, int redeliveries, int quarantined, double commitMs, int acknowledged);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Stopping: no more messages taken; committing the {Backlog} queued, then acknowledging and disconnecting")]
    private static partial void LogStopping(ILogger logger, long backlog);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Stopped cleanly: {Stored} rows stored, {Acknowledged} acknowledged, {Quarantined} quarantined ({Oversize} of them oversize), {Redeliveries} redeliveries acknowledged without storing, {SubscriptionsRefused} subscriptions refused, {BrokerLossWarnings} broker loss warnings since start")]
    private static partial void LogStopped(ILogger logger, long stored, long acknowledged, long quarantined, long oversize, long redeliveries, long subscriptionsRefused, long brokerLossWarnings);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "The broker has no session for client id {ClientId} (session present: false) although EdgeStore had one: whatever the broker queued for EdgeStore while it was away is gone. Usual causes: the broker restarted without persistence, its session expired, or the client id changed. See docs/MOSQUITTO.md")]
    private static partial void LogSessionLost(ILogger logger, string clientId);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Connected with MQTT 3.1.1, which cannot announce EdgeStore's receive maximum or maximum packet size: the broker's own limits apply (mosquitto's defaults: 20 in flight, 1000 queued), and a burst beyond them is dropped by the broker. Prefer MQTT 5 (Mqtt:ProtocolVersion 5) or raise the broker's limits; see docs/MOSQUITTO.md")]
    private static partial void LogMqtt311LossLikely(ILogger logger);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "The MQTT client did not stop cleanly; unacknowledged messages will be redelivered")]
    private static partial void LogClientStopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Critical, Message = "The batch writer failed; stopping (nothing uncommitted was acknowledged, the broker redelivers it)")]
    private static partial void LogWriterFailed(ILogger logger, Exception exception);
}
