using EdgeStore.Mqtt.Connection;
using EdgeStore.Mqtt.Packets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace EdgeStore.Mqtt;

/// <summary>
/// MQTT 3.1.1 / 5.0 client with a persistent session, manual acknowledgement and automatic reconnect.
/// Inbound QoS 1/2 messages are never acknowledged automatically: PUBACK / PUBREC are sent only when the consumer
/// calls <see cref="Acknowledge(MqttAckToken)"/>, and only on the connection that received the message.
/// </summary>
public sealed class MqttClient : IAsyncDisposable
{
    private readonly MqttClientOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _endpoint;
    private readonly ResiliencePipeline _connectPipeline;
    private readonly ResiliencePipeline _subscribePipeline;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _runCancellation;
    private Task _runLoop = Task.CompletedTask;
    private volatile MqttConnection? _current;
    private volatile bool _ready;
    private TaskCompletionSource _readySignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _generation;
    private bool _connectedBefore;
    private volatile bool _stopping;
    private volatile string[] _refusedSubscriptions = [];

    public MqttClient(MqttClientOptions options, ILogger<MqttClient>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        // Every line names the connection by its client id too: the ingest and control connections go to the same
        // broker, and their retry sequences would otherwise interleave indistinguishably.
        _endpoint = $"{options.Host}:{options.Port}{(options.Tls is null ? string.Empty : " (TLS)")} as '{options.ClientId}'";
        _connectPipeline = CreateConnectPipeline();
        _subscribePipeline = CreateSubscribePipeline();
    }

    /// <summary>
    /// Called for every inbound PUBLISH, one at a time, in wire order, on the receive loop. The loop awaits it, so a
    /// consumer that waits (for example on a full bounded channel) stops socket reads: TCP back-pressure. The
    /// cancellation token fires when the connection that received the message dies. An exception thrown here is
    /// logged and the message stays unacknowledged (redelivered after a reconnect).
    /// </summary>
    public Func<MqttApplicationMessage, CancellationToken, ValueTask>? MessageReceived { get; set; }

    /// <summary>
    /// QoS 2 exactly-once with the consumer in charge of PUBCOMP. When set (before <see cref="StartAsync"/>; it is read
    /// at each connect), every inbound PUBREL is handed to it on the receive loop, awaited in wire order with the
    /// PUBLISHes (so a PUBREL is seen after the PUBLISH it releases), with a token whose
    /// <see cref="MqttAckToken.IsRelease"/> is true and <see cref="MqttAckToken.PacketId"/> is the PUBREL's id.
    /// PUBCOMP is sent only when the consumer passes that token to <see cref="Acknowledge(MqttAckToken)"/>, on the
    /// connection that received the PUBREL. That includes a PUBREL for an id this connection never saw (the broker
    /// resends PUBREL after a reconnect for a PUBREC sent earlier). Null: PUBCOMP answers PUBREL at once.
    /// An exception thrown here is logged and the PUBREL stays unanswered (the broker resends it after a reconnect).
    /// </summary>
    public Func<MqttAckToken, CancellationToken, ValueTask>? ReleaseReceived { get; set; }

    /// <summary>
    /// Awaited after each accepted CONNACK and before the receive loop hands any packet of that connection to
    /// <see cref="MessageReceived"/> or <see cref="ReleaseReceived"/>: the place to act on
    /// <see cref="MqttConnectionEvent.SessionPresent"/> (for example forget packet ids of a session the broker no
    /// longer has) before the first PUBLISH arrives. An exception is logged, the connection is closed and the client
    /// connects again with backoff. The token fires when the client stops.
    /// </summary>
    public Func<MqttConnectionEvent, CancellationToken, ValueTask>? ConnectionAccepted { get; set; }

    /// <summary>Raised (on a pool thread) once a connection is ready (connected and the configured subscriptions
    /// acknowledged) and when it is lost. Handlers must be quick and must not throw.</summary>
    public event Action<MqttConnectionEvent>? ConnectionChanged;

    /// <summary>Connected, and every configured subscription granted.</summary>
    public bool IsConnected => _ready && _current is { IsClosing: false };

    /// <summary>Configured filters the broker refused in its latest SUBACK; they are retried with backoff on the same
    /// connection, and the client is not ready (<see cref="IsConnected"/>) until this list is empty.</summary>
    public IReadOnlyList<string> RefusedSubscriptions => _refusedSubscriptions;

    public MqttClientCounters Counters { get; } = new();

    /// <summary>Starts the background connect/reconnect loop and returns at once.</summary>
    public Task StartAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_runCancellation is not null)
            {
                throw new InvalidOperationException("the MQTT client is already started");
            }

            _stopping = false;
            _runCancellation = new CancellationTokenSource();
            var token = _runCancellation.Token;
            _runLoop = Task.Run(() => RunAsync(token), CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    /// <summary>Completes when a connection is ready: CONNACK accepted and the configured subscriptions acknowledged.</summary>
    public Task WaitConnectedAsync(CancellationToken ct)
    {
        Task ready;
        lock (_gate)
        {
            ready = IsConnected ? Task.CompletedTask : _readySignal.Task;
        }

        return ready.WaitAsync(ct);
    }

    /// <summary>Acknowledges one inbound QoS 1/2 message. Thread-safe and non-blocking; see the class remarks.</summary>
    public void Acknowledge(MqttAckToken token)
    {
        if (!token.RequiresAck)
        {
            return;
        }

        var connection = _current;
        if (connection is null || connection.Generation != token.Generation || !connection.TryEnqueueAck(token))
        {
            // The connection that received this message is gone; the broker will redeliver it on the new one.
            Counters.AddAckDroppedStale();
            MqttClientLog.StaleAckDropped(_logger, token.PacketId, token.Generation, connection?.Generation ?? 0);
        }
    }

    /// <summary>Acknowledges many messages; they leave in as few flushes as the writer loop can make.</summary>
    public void Acknowledge(IReadOnlyList<MqttAckToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        for (var i = 0; i < tokens.Count; i++)
        {
            Acknowledge(tokens[i]);
        }
    }

    /// <summary>
    /// True while the connection that received <paramref name="token"/>'s packet is the live one, so an acknowledgement
    /// would reach the broker now. A consumer that must do durable work right before acknowledging (forgetting the
    /// packet id) asks first, and skips that work for a token whose acknowledgement would be dropped.
    /// </summary>
    public bool CanAcknowledge(MqttAckToken token) =>
        token.RequiresAck && _current is { IsClosing: false } connection && connection.Generation == token.Generation;

    /// <summary>
    /// Publishes one message. QoS 0 completes when written, QoS 1/2 when the broker acknowledged it. Throws
    /// <see cref="MqttException"/> when not connected, when the packet exceeds the broker's maximum packet size, when
    /// the broker refuses it, or when the connection is lost before the acknowledgement (the caller may retry).
    /// </summary>
    public Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos, bool retain, CancellationToken ct)
    {
        if (!MqttTopicFilter.IsValidTopicName(topic))
        {
            throw new ArgumentException($"'{topic}' is not a valid MQTT topic name", nameof(topic));
        }

        return PublishAsync(new MqttApplicationMessage { Topic = topic, Payload = payload, Qos = qos, Retain = retain }, ct);
    }

    /// <summary>Publishes a message with MQTT 5 properties (content type, user properties...).</summary>
    public Task PublishAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!MqttTopicFilter.IsValidTopicName(message.Topic))
        {
            throw new ArgumentException($"'{message.Topic}' is not a valid MQTT topic name", nameof(message));
        }

        if (message.Qos > MqttQualityOfService.ExactlyOnce)
        {
            throw new ArgumentOutOfRangeException(nameof(message), "QoS must be 0, 1 or 2");
        }

        return CurrentConnection().PublishAsync(message, ct);
    }

    /// <summary>Subscribes on the current connection. Throws <see cref="MqttException"/> naming any refused filter.</summary>
    public async Task SubscribeAsync(IReadOnlyList<MqttSubscription> subs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subs);
        ValidateFilters(subs.Select(s => s.Filter));
        var subAck = await CurrentConnection().SubscribeAsync(subs, ct).ConfigureAwait(false);
        var refused = subs.Where((_, i) => subAck.ReasonCodes[i] >= 0x80).Select((s, i) => s.Filter).ToList();
        if (refused.Count > 0)
        {
            throw new MqttException(
                $"broker refused subscription to {string.Join(", ", refused)}{(subAck.Properties.ReasonString is { } text ? $": {text}" : string.Empty)}");
        }
    }

    public async Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filters);
        ValidateFilters(filters);
        await CurrentConnection().UnsubscribeAsync(filters, ct).ConfigureAwait(false);
    }

    /// <summary>Writes pending acknowledgements, sends DISCONNECT (normal) and stops the reconnect loop.</summary>
    public async Task StopAsync(CancellationToken ct)
    {
        CancellationTokenSource? run;
        lock (_gate)
        {
            run = _runCancellation;
            _runCancellation = null;
            _stopping = true;
        }

        if (run is null)
        {
            return;
        }

        if (_current is { } connection)
        {
            await connection.DisconnectAsync(ct).ConfigureAwait(false);
        }

        await run.CancelAsync().ConfigureAwait(false);
        try
        {
            await _runLoop.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            // Dispose only once nothing can still register on its token.
            if (_runLoop.IsCompleted)
            {
                run.Dispose();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Closes the current socket without DISCONNECT, as a crash or a network failure would (the broker
    /// publishes the will and keeps the session). The reconnect loop then connects again. For tests and drills.</summary>
    internal void DropConnection() => _current?.Abort("connection dropped on purpose");

    internal long CurrentGeneration => _current?.Generation ?? 0;

    internal int InboundInflight => _current?.InboundInflight ?? 0;

    private static void ValidateFilters(IEnumerable<string> filters)
    {
        foreach (var filter in filters)
        {
            if (!MqttTopicFilter.IsValidFilter(filter))
            {
                throw new ArgumentException($"'{filter}' is not a valid MQTT topic filter", nameof(filters));
            }
        }
    }

    private MqttConnection CurrentConnection() =>
        _current is { IsClosing: false } connection ? connection : throw new MqttException($"not connected to the MQTT broker {_endpoint}");

    private ResiliencePipeline CreateConnectPipeline()
    {
        // Jittered exponential backoff between ReconnectMinDelay and ReconnectMaxDelay, retried until stopped.
        return new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(exception => exception is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.ReconnectMinDelay,
                MaxDelay = _options.ReconnectMaxDelay,
                OnRetry = arguments =>
                {
                    Counters.AddConnectFailure();
                    var reason = arguments.Outcome.Exception is { } exception ? Explain(exception) : "unknown";
                    MqttClientLog.ConnectFailed(_logger, _endpoint, reason, arguments.AttemptNumber + 1, (long)arguments.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .Build();
    }

    private ResiliencePipeline CreateSubscribePipeline()
    {
        // A refused subscription (an ACL not yet in place, a quota) is retried on the same connection, with the same
        // jittered backoff as connecting; messages of the granted filters keep flowing meanwhile.
        return new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<SubscriptionRefusedException>(),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.ReconnectMinDelay,
                MaxDelay = _options.ReconnectMaxDelay,
            })
            .Build();
    }

    private static string Explain(Exception exception) =>
        exception is MqttException or TimeoutException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}";

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            MqttConnection connection;
            try
            {
                connection = await _connectPipeline.ExecuteAsync(ConnectOnceAsync, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            MqttConnectionClosed closed;
            try
            {
                closed = await ServeAsync(connection, stop).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
            {
                // A bug here must not end the reconnect loop for good: say so, drop the connection, connect again.
                MqttClientLog.LoopFailed(_logger, _endpoint, exception);
                connection.Abort("client loop failed");
                closed = new MqttConnectionClosed(exception.Message, IsProtocolError: false, Graceful: false);
            }

            if (closed.Graceful || _stopping)
            {
                MqttClientLog.Stopped(_logger, _endpoint);
                return;
            }

            try
            {
                // A short pause, jittered, so a broker that accepts and then drops us is not hammered.
                var pause = _options.ReconnectMinDelay * (0.5 + Random.Shared.NextDouble());
                await Task.Delay(pause, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async ValueTask<MqttConnection> ConnectOnceAsync(CancellationToken stop)
    {
        var generation = Interlocked.Increment(ref _generation);
        var (stream, reader, writer, connAck) = await MqttConnector.ConnectAsync(_options, generation, stop).ConfigureAwait(false);
        var connection = new MqttConnection(stream, reader, writer, _options, connAck, generation, _time, Counters, DeliverAsync,
            ReleaseReceived is null ? null : DeliverReleaseAsync,
            inflight => MqttClientLog.ReceiveMaximumExceeded(_logger, _endpoint, inflight, _options.ReceiveMaximum));

        // Published before the receive loop starts, so an acknowledgement for the first message already finds it.
        _current = connection;
        connection.StartSending();
        if (ConnectionAccepted is { } accepted)
        {
            try
            {
                var accept = new MqttConnectionEvent(true, connection.SessionPresent, null) { ProtocolVersion = connection.Version };
                await accepted(accept, stop).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                if (exception is not OperationCanceledException || !stop.IsCancellationRequested)
                {
                    MqttClientLog.ConnectionAcceptedFailed(_logger, _endpoint, exception);
                }

                lock (_gate)
                {
                    if (ReferenceEquals(_current, connection))
                    {
                        _current = null;
                    }
                }

                await connection.DisposeAsync().ConfigureAwait(false);
                stop.ThrowIfCancellationRequested();
                throw new MqttException($"the ConnectionAccepted handler failed: {exception.Message}", exception);
            }
        }

        // Counted before the first inbound packet can be delivered, so a consumer that sees a message of this
        // connection also sees it counted.
        if (_connectedBefore)
        {
            Counters.AddReconnect();
        }

        _connectedBefore = true;
        connection.StartReceiving();
        return connection;
    }

    private async Task<MqttConnectionClosed> ServeAsync(MqttConnection connection, CancellationToken stop)
    {
        MqttClientLog.Connected(_logger, _endpoint, connection.Version == MqttProtocolVersion.V500 ? "MQTT 5.0" : "MQTT 3.1.1", connection.SessionPresent);
        if (await SubscribeConfiguredAsync(connection, stop).ConfigureAwait(false))
        {
            TaskCompletionSource signal;
            lock (_gate)
            {
                _ready = true;
                signal = _readySignal;
            }

            signal.TrySetResult();
            Raise(new MqttConnectionEvent(true, connection.SessionPresent, null) { ProtocolVersion = connection.Version });
        }

        MqttConnectionClosed closed;
        using (stop.Register(static state => ((MqttConnection)state!).Abort("client stopped"), connection))
        {
            closed = await connection.Closed.ConfigureAwait(false);
        }

        lock (_gate)
        {
            _ready = false;
            if (ReferenceEquals(_current, connection))
            {
                _current = null;
            }

            _readySignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (closed.IsProtocolError)
        {
            Counters.AddProtocolError();
            MqttClientLog.ProtocolError(_logger, _endpoint, closed.Reason);
        }
        else if (!closed.Graceful && !stop.IsCancellationRequested)
        {
            MqttClientLog.ConnectionLost(_logger, _endpoint, closed.Reason);
        }

        await connection.DisposeAsync().ConfigureAwait(false);
        Raise(new MqttConnectionEvent(false, false, closed.Reason) { ProtocolVersion = connection.Version });
        return closed;
    }

    /// <summary>(Re)subscribes the configured filters until every one is granted; false when the connection died
    /// meanwhile.</summary>
    private async Task<bool> SubscribeConfiguredAsync(MqttConnection connection, CancellationToken stop)
    {
        var pending = _options.Subscriptions.ToList();
        if (pending.Count == 0)
        {
            _refusedSubscriptions = [];
            return true;
        }

        using var stopOrClose = CancellationTokenSource.CreateLinkedTokenSource(stop, connection.Closing);
        try
        {
            await _subscribePipeline.ExecuteAsync(
                async ct =>
                {
                    var subAck = await connection.SubscribeAsync(pending, ct).ConfigureAwait(false);
                    var refused = new List<MqttSubscription>();
                    for (var i = 0; i < pending.Count; i++)
                    {
                        var code = subAck.ReasonCodes[i];
                        if (code >= 0x80)
                        {
                            refused.Add(pending[i]);
                            Counters.AddSubscriptionRefused();
                            MqttClientLog.SubscriptionRefused(_logger, pending[i].Filter, code,
                                subAck.Properties.ReasonString is { } text ? $"{SubAckPacket.Describe(code)}: {text}" : SubAckPacket.Describe(code));
                        }
                    }

                    _refusedSubscriptions = [.. refused.Select(s => s.Filter)];
                    if (refused.Count > 0)
                    {
                        pending = refused;
                        throw new SubscriptionRefusedException(_refusedSubscriptions);
                    }
                },
                stopOrClose.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception exception) when (exception is MqttException or OperationCanceledException)
        {
            if (!stop.IsCancellationRequested && !connection.IsClosing)
            {
                MqttClientLog.SubscribeAfterConnectFailed(_logger, _endpoint, exception.Message);
            }

            connection.Abort($"subscribing failed: {exception.Message}");
            return false;
        }
    }

    private async ValueTask DeliverAsync(MqttApplicationMessage message, CancellationToken connectionClosed)
    {
        if (message.OversizeLength is { } oversizeLength)
        {
            MqttClientLog.OversizeMessage(_logger, message.Topic, oversizeLength, _options.MaximumPacketSize, message.Payload.Length);
        }

        if (MessageReceived is not { } handler)
        {
            return;
        }

        try
        {
            await handler(message, connectionClosed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connectionClosed.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            MqttClientLog.ConsumerFailed(_logger, message.Topic, exception);
        }
    }

    private async ValueTask DeliverReleaseAsync(MqttAckToken token, CancellationToken connectionClosed)
    {
        if (ReleaseReceived is not { } handler)
        {
            // Unset after this connection began: nobody will acknowledge, so complete it as if it had never been set.
            Acknowledge(token);
            return;
        }

        try
        {
            await handler(token, connectionClosed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connectionClosed.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            MqttClientLog.ReleaseConsumerFailed(_logger, token.PacketId, exception);
        }
    }

    private void Raise(MqttConnectionEvent connectionEvent)
    {
        try
        {
            ConnectionChanged?.Invoke(connectionEvent);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            MqttClientLog.ConnectionChangedFailed(_logger, exception);
        }
    }
}
