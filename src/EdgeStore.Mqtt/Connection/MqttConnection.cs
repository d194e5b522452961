using System.Globalization;
using System.IO.Pipelines;
using System.Threading.Channels;
using EdgeStore.Mqtt.Codec;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Connection;

/// <summary>
/// One live, accepted MQTT connection: a receive loop that parses from the PipeReader's buffer and awaits the
/// consumer (so a slow consumer stops socket reads: TCP back-pressure), a single writer loop that drains a queue and
/// flushes many packets at once, and a keep-alive loop. It never reconnects; <see cref="MqttClient"/> makes a new one.
/// </summary>
internal sealed class MqttConnection : IAsyncDisposable
{
    /// <summary>Bytes encoded before the writer loop flushes even if more items are queued.</summary>
    private const int FlushThresholdBytes = 64 * 1024;

    private static readonly TimeSpan CloseFlushTimeout = TimeSpan.FromSeconds(2);

    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly MqttClientOptions _options;
    private readonly TimeProvider _time;
    private readonly MqttClientCounters _counters;
    private readonly Func<MqttApplicationMessage, CancellationToken, ValueTask> _consumer;
    private readonly Func<MqttAckToken, CancellationToken, ValueTask>? _releaseConsumer;
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly InboundFlow _inbound = new();
    private readonly PendingRequests _pending = new();
    private readonly SemaphoreSlim _sendQuota;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<MqttConnectionClosed> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeSpan _keepAlive;
    private int _closing;
    private long _lastReadTimestamp;
    private long _lastWriteTimestamp;
    private readonly Action<int> _onReceiveMaximumExceeded;
    private volatile bool _consumerBusy;
    private bool _receiveMaximumWarned;
    private Task _readLoop = Task.CompletedTask;
    private Task _writeLoop = Task.CompletedTask;
    private Task _keepAliveLoop = Task.CompletedTask;

    /// <summary>SUBSCRIBE / UNSUBSCRIBE packet ids waiting for their answer, with the answer's name and when they
    /// were queued; the keep-alive loop enforces <see cref="MqttClientOptions.ResponseTimeout"/> on them.</summary>
    private readonly Dictionary<ushort, (string Answer, long Sent)> _awaitedAnswers = [];
    private long _pingSentTimestamp;

    public MqttConnection(
        Stream stream,
        PipeReader reader,
        PipeWriter writer,
        MqttClientOptions options,
        ConnAckPacket connAck,
        long generation,
        TimeProvider time,
        MqttClientCounters counters,
        Func<MqttApplicationMessage, CancellationToken, ValueTask> consumer,
        Func<MqttAckToken, CancellationToken, ValueTask>? releaseConsumer,
        Action<int> onReceiveMaximumExceeded)
    {
        _releaseConsumer = releaseConsumer;
        _onReceiveMaximumExceeded = onReceiveMaximumExceeded;
        _stream = stream;
        _reader = reader;
        _writer = writer;
        _options = options;
        _time = time;
        _counters = counters;
        _consumer = consumer;
        Generation = generation;
        Version = options.ProtocolVersion;
        SessionPresent = connAck.SessionPresent;
        BrokerMaximumPacketSize = connAck.Properties.MaximumPacketSize ?? uint.MaxValue;
        BrokerReceiveMaximum = connAck.Properties.ReceiveMaximum ?? ushort.MaxValue;
        _sendQuota = new SemaphoreSlim(BrokerReceiveMaximum, BrokerReceiveMaximum);
        _keepAlive = connAck.Properties.ServerKeepAlive is { } serverKeepAlive
            ? TimeSpan.FromSeconds(serverKeepAlive)
            : TimeSpan.FromSeconds((int)options.KeepAlive.TotalSeconds);
        _lastReadTimestamp = _lastWriteTimestamp = time.GetTimestamp();
    }

    public long Generation { get; }

    public MqttProtocolVersion Version { get; }

    public bool SessionPresent { get; }

    /// <summary>The broker's maximum packet size (MQTT 5 CONNACK); our PUBLISH packets must not exceed it.</summary>
    public uint BrokerMaximumPacketSize { get; }

    /// <summary>How many of our QoS 1/2 PUBLISH packets may be unacknowledged at once (MQTT 5 CONNACK).</summary>
    public ushort BrokerReceiveMaximum { get; }

    /// <summary>Completes once the connection is closed, with the reason.</summary>
    public Task<MqttConnectionClosed> Closed => _closed.Task;

    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Fires when the connection closes.</summary>
    public CancellationToken Closing => _stop.Token;

    /// <summary>Inbound QoS 1/2 messages delivered but not yet fully acknowledged.</summary>
    public int InboundInflight => _inbound.Inflight;

    /// <summary>
    /// Starts the writer and keep-alive loops, but not the receive loop: whatever the broker sends waits in the socket
    /// until <see cref="StartReceiving"/>, so work done in between (the ConnectionAccepted hook) happens before the
    /// first inbound packet of this connection. Meanwhile the connection counts as "consumer busy": the wait is
    /// ours, not the broker's silence.
    /// </summary>
    public void StartSending()
    {
        _consumerBusy = true;
        var token = _stop.Token;
        _writeLoop = Task.Run(() => WriteLoopAsync(token), CancellationToken.None);
        _keepAliveLoop = Task.Run(() => KeepAliveLoopAsync(token), CancellationToken.None);
    }

    public void StartReceiving()
    {
        Volatile.Write(ref _lastReadTimestamp, _time.GetTimestamp());
        _consumerBusy = false;
        var token = _stop.Token;
        _readLoop = Task.Run(() => ReadLoopAsync(token), CancellationToken.None);
    }

    /// <summary>Queues a consumer acknowledgement; false when the connection is already closing (the ack is stale).</summary>
    public bool TryEnqueueAck(MqttAckToken token) =>
        !IsClosing && _outgoing.Writer.TryWrite(
            token.IsRelease
                ? new Outgoing(OutgoingKind.ConsumerRelease, token.PacketId)
                : new Outgoing(OutgoingKind.ConsumerAck, token.PacketId, token.Qos));

    public async Task PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        var properties = Version == MqttProtocolVersion.V500 ? PublishPacket.GetProperties(message) : default;
        var size = MqttPacketWriter.GetPublishSize(message, Version, properties);
        if (size > BrokerMaximumPacketSize)
        {
            throw new MqttException(
                $"PUBLISH to '{message.Topic}' is {size} bytes, more than the broker's maximum packet size of {BrokerMaximumPacketSize} bytes");
        }

        if (message.Qos == MqttQualityOfService.AtMostOnce)
        {
            var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Enqueue(new Outgoing(OutgoingKind.Publish, Message: message, Written: written));
            await written.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        // The broker's receive maximum bounds our unacknowledged QoS 1/2 publishes (MQTT 5 §4.9). A waiter must not
        // outlive the connection, so the wait also ends when the connection closes.
        using (var waitOrClose = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token))
        {
            try
            {
                await _sendQuota.WaitAsync(waitOrClose.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new MqttException("the MQTT connection closed before the broker's receive maximum allowed this PUBLISH");
            }
        }

        ushort packetId;
        Task<MqttPacket> answer;
        try
        {
            (packetId, answer) = _pending.Register();
            Enqueue(new Outgoing(OutgoingKind.Publish, packetId, message.Qos, Message: message));
        }
        catch
        {
            _sendQuota.Release();
            throw;
        }

        var response = (PublishResponsePacket)await answer.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (response.ReasonCode >= 0x80)
        {
            throw new MqttException(
                $"broker refused PUBLISH to '{message.Topic}': reason code 0x{response.ReasonCode:X2}{Describe(response.Properties.ReasonString)}");
        }
    }

    public async Task<SubAckPacket> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken)
    {
        var subAck = (SubAckPacket)await RequestAsync(
            packetId => new SubscribePacket { PacketId = packetId, Subscriptions = subscriptions }, "SUBACK", cancellationToken).ConfigureAwait(false);
        if (subAck.ReasonCodes.Length != subscriptions.Count)
        {
            Fail(new MqttProtocolException($"SUBACK has {subAck.ReasonCodes.Length} codes for {subscriptions.Count} filters"));
            throw new MqttException("the broker answered SUBSCRIBE with a malformed SUBACK");
        }

        return subAck;
    }

    public async Task<UnsubAckPacket> UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken)
    {
        return (UnsubAckPacket)await RequestAsync(
            packetId => new UnsubscribePacket { PacketId = packetId, Filters = filters }, "UNSUBACK", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a packet that the broker must answer within <see cref="MqttClientOptions.ResponseTimeout"/>.</summary>
    private async Task<MqttPacket> RequestAsync(Func<ushort, MqttPacket> create, string answerName, CancellationToken cancellationToken)
    {
        var (packetId, answer) = _pending.Register();
        lock (_awaitedAnswers)
        {
            _awaitedAnswers[packetId] = (answerName, _time.GetTimestamp());
        }

        try
        {
            Enqueue(new Outgoing(OutgoingKind.Packet, Packet: create(packetId)));
            return await answer.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_awaitedAnswers)
            {
                _awaitedAnswers.Remove(packetId);
            }
        }
    }

    /// <summary>
    /// The answer (SUBACK, UNSUBACK, PINGRESP) the broker owes longest, if it is overdue. The broker answers in
    /// order, so the wait counts from the later of the request and the last bytes read: an answer queued behind a
    /// backlog of messages we are still reading is not late. Time the consumer holds the receive loop never counts.
    /// </summary>
    private string? FindOverdueAnswer(long now)
    {
        if (_consumerBusy)
        {
            return null;
        }

        var lastRead = Volatile.Read(ref _lastReadTimestamp);
        bool Overdue(long sent) => _time.GetElapsedTime(Math.Max(sent, lastRead), now) > _options.ResponseTimeout;
        var ping = Volatile.Read(ref _pingSentTimestamp);
        if (ping != 0 && Overdue(ping))
        {
            return "PINGRESP";
        }

        lock (_awaitedAnswers)
        {
            foreach (var (answer, sent) in _awaitedAnswers.Values)
            {
                if (Overdue(sent))
                {
                    return answer;
                }
            }
        }

        return null;
    }

    /// <summary>Normal close: everything queued before (acks included) is written, then DISCONNECT, then the socket closes.</summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        if (IsClosing)
        {
            return;
        }

        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_outgoing.Writer.TryWrite(new Outgoing(OutgoingKind.Packet, Packet: new DisconnectPacket(), Written: written)))
        {
            try
            {
                await written.Task.WaitAsync(CloseFlushTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is TimeoutException or MqttException or OperationCanceledException)
            {
                // The socket is going away either way; the broker treats a missing DISCONNECT as abnormal.
            }
        }

        Close(new MqttConnectionClosed("client stopped", IsProtocolError: false, Graceful: true), sendDisconnectReason: null);
    }

    /// <summary>Closes the socket at once without DISCONNECT (the broker publishes the will).</summary>
    public void Abort(string reason) =>
        Close(new MqttConnectionClosed(reason, IsProtocolError: false, Graceful: false), sendDisconnectReason: null);

    public async ValueTask DisposeAsync()
    {
        Abort("connection disposed");
        await Closed.ConfigureAwait(false);

        // _stop and _sendQuota are deliberately not disposed: a publisher racing with the close may still touch
        // them, and neither holds an OS handle (no WaitHandle is ever created), so the GC reclaims them.
    }

    private static string Describe(string? reasonString) => reasonString is null ? string.Empty : $" ({reasonString})";

    private void Enqueue(Outgoing item)
    {
        if (IsClosing || !_outgoing.Writer.TryWrite(item))
        {
            throw new MqttException("the MQTT connection is closed");
        }
    }

    private void Fail(Exception exception)
    {
        var closed = exception switch
        {
            MqttProtocolException protocol => new MqttConnectionClosed(protocol.Message, IsProtocolError: true, Graceful: false),
            EndOfStreamException or IOException or ObjectDisposedException or MqttException =>
                new MqttConnectionClosed(exception.Message, IsProtocolError: false, Graceful: false),
            _ => new MqttConnectionClosed($"{exception.GetType().Name}: {exception.Message}", IsProtocolError: false, Graceful: false),
        };
        Close(closed, exception is MqttProtocolException p ? p.ReasonCode : null);
    }

    private void Close(MqttConnectionClosed reason, byte? sendDisconnectReason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        if (sendDisconnectReason is { } code && Version == MqttProtocolVersion.V500)
        {
            // MQTT 5 lets the client say why it closes; best effort, bounded by CloseFlushTimeout.
            _outgoing.Writer.TryWrite(new Outgoing(OutgoingKind.Packet, Packet: new DisconnectPacket { ReasonCode = code }));
        }

        _outgoing.Writer.TryComplete();
        _ = CloseAsync(reason);
    }

    private async Task CloseAsync(MqttConnectionClosed reason)
    {
        // Whatever fails while tearing down, Closed must complete: the reconnect loop and StopAsync wait for it.
        try
        {
            if (reason.Graceful || reason.IsProtocolError)
            {
                // Let the writer loop drain what is queued (acks, DISCONNECT) before the socket goes.
                await IgnoreFailure(_writeLoop.WaitAsync(CloseFlushTimeout)).ConfigureAwait(false);
            }

            await _stop.CancelAsync().ConfigureAwait(false);
            _pending.FailAll(new MqttException($"MQTT connection closed: {reason.Reason}"));
            await IgnoreFailure(() => _stream.DisposeAsync()).ConfigureAwait(false);
            await Task.WhenAll(IgnoreFailure(_readLoop), IgnoreFailure(_writeLoop), IgnoreFailure(_keepAliveLoop)).ConfigureAwait(false);

            // The stream is gone, so completing the pipes may fail trying to flush leftovers; that is fine.
            await IgnoreFailure(() => _reader.CompleteAsync()).ConfigureAwait(false);
            await IgnoreFailure(() => _writer.CompleteAsync()).ConfigureAwait(false);

            // Anything still queued (acks of this connection) can never be sent now: count them as dropped.
            while (_outgoing.Reader.TryRead(out var item))
            {
                if (item.Kind is OutgoingKind.ConsumerAck or OutgoingKind.ConsumerRelease)
                {
                    _counters.AddAckDroppedStale();
                }

                item.Written?.TrySetException(new MqttException($"MQTT connection closed: {reason.Reason}"));
            }
        }
        finally
        {
            _closed.TrySetResult(reason);
        }
    }

    private static async Task IgnoreFailure(Func<ValueTask> action)
    {
        try
        {
            await action().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // Teardown of a connection that is already lost: nothing left to report.
        }
    }

    private static async Task IgnoreFailure(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            // The loop's failure was already turned into the close reason.
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        var settings = new MqttDecoderSettings(Version, _options.MaximumPacketSize, Generation, new TopicCache(), _options.PayloadAllocator);
        var oversize = new OversizePublishReader(_options.OversizePrefixBytes);
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _lastReadTimestamp, _time.GetTimestamp());
                var buffer = result.Buffer;
                try
                {
                    while (MqttPacketReader.TryRead(ref buffer, settings, oversize, out var packet, out var message))
                    {
                        if (message is not null)
                        {
                            await OnPublishAsync(message, cancellationToken).ConfigureAwait(false);
                        }
                        else if (packet is PubRelPacket pubRel && _releaseConsumer is not null)
                        {
                            await OnPubRelAsync(pubRel.PacketId, cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            OnPacket(packet!);
                        }
                    }
                }
                finally
                {
                    _reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    throw new EndOfStreamException(buffer.IsEmpty && !oversize.InProgress
                        ? "the broker closed the connection"
                        : "the broker closed the connection in the middle of a packet");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Closing.
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            if (!IsClosing)
            {
                Fail(exception);
            }
        }
    }

    private async ValueTask OnPublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        if (message.TopicAlias != 0)
        {
            // We announce topic alias maximum 0 (by omitting it), so an alias breaks the protocol (MQTT-3.3.2-9).
            throw new MqttProtocolException($"PUBLISH uses topic alias {message.TopicAlias}, but the client allows none") { ReasonCode = 0x94 };
        }

        if (message.Qos != MqttQualityOfService.AtMostOnce)
        {
            var action = _inbound.OnPublish(message.PacketId, message.Qos, out var inflight);
            if (action == InboundPublishAction.ResendPubRec)
            {
                Enqueue(new Outgoing(OutgoingKind.PubRec, message.PacketId));
                return;
            }

            if (action == InboundPublishAction.ReusedBeforePubComp)
            {
                throw new MqttProtocolException(
                    $"PUBLISH reuses packet id {message.PacketId}, which was released (PUBREL) but not completed") { ReasonCode = 0x82 };
            }

            if (Version == MqttProtocolVersion.V500 && inflight > _options.ReceiveMaximum)
            {
                if (!_options.DisconnectOnReceiveMaximumExceeded)
                {
                    _counters.AddReceiveMaximumExceeded();
                    if (!_receiveMaximumWarned)
                    {
                        _receiveMaximumWarned = true;
                        _onReceiveMaximumExceeded(inflight);
                    }
                }
                else
                {
                    throw new MqttProtocolException(
                    $"the broker sent {inflight} unacknowledged QoS 1/2 messages, more than our receive maximum of {_options.ReceiveMaximum}")
                    {
                        ReasonCode = 0x93,
                    };
                }
            }
        }

        _counters.AddMessageReceived();
        if (message.OversizeLength is not null)
        {
            _counters.AddOversizeMessage();
        }

        _consumerBusy = true;
        try
        {
            await _consumer(message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Time spent in the consumer is back-pressure, not silence from the broker.
            Volatile.Write(ref _lastReadTimestamp, _time.GetTimestamp());
            _consumerBusy = false;
        }
    }

    /// <summary>
    /// QoS 2 with a release consumer: PUBREL is handed to it in wire order like a PUBLISH, and PUBCOMP waits for its
    /// acknowledgement (<see cref="OutgoingKind.ConsumerRelease"/>), so the consumer can forget the id durably first.
    /// </summary>
    private async ValueTask OnPubRelAsync(ushort packetId, CancellationToken cancellationToken)
    {
        if (!_inbound.OnPubRelForConsumer(packetId))
        {
            throw new MqttProtocolException(
                $"PUBREL for packet {packetId}, which still waits for our PUBACK/PUBREC") { ReasonCode = 0x82 };
        }

        _consumerBusy = true;
        try
        {
            await _releaseConsumer!(MqttAckToken.CreateRelease(Generation, packetId), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _lastReadTimestamp, _time.GetTimestamp());
            _consumerBusy = false;
        }
    }

    private void OnPacket(MqttPacket packet)
    {
        switch (packet)
        {
            case PubAckPacket pubAck:
                CompleteOutbound(pubAck);
                break;
            case PubRecPacket pubRec when pubRec.ReasonCode >= 0x80:
                CompleteOutbound(pubRec);
                break;
            case PubRecPacket pubRec:
                if (_pending.IsWaiting(pubRec.PacketId))
                {
                    Enqueue(new Outgoing(OutgoingKind.PubRel, pubRec.PacketId));
                }
                else
                {
                    throw new MqttProtocolException($"PUBREC for packet {pubRec.PacketId}, which is not in flight") { ReasonCode = 0x82 };
                }

                break;
            case PubCompPacket pubComp:
                CompleteOutbound(pubComp);
                break;
            case PubRelPacket pubRel:
                // A PUBREL for an id we do not know is a resend for a PUBREC of an earlier connection of this
                // session: completing it is the only way for the broker to forget it.
                _inbound.OnPubRel(pubRel.PacketId);
                Enqueue(new Outgoing(OutgoingKind.PubComp, pubRel.PacketId));
                break;
            case SubAckPacket subAck:
                Complete(subAck.PacketId, subAck);
                break;
            case UnsubAckPacket unsubAck:
                Complete(unsubAck.PacketId, unsubAck);
                break;
            case PingRespPacket:
                Volatile.Write(ref _pingSentTimestamp, 0);
                break;
            case DisconnectPacket disconnect:
                throw new MqttException(
                    $"the broker sent DISCONNECT with reason code 0x{disconnect.ReasonCode:X2}{Describe(disconnect.Properties.ReasonString)}");
            default:
                throw new MqttProtocolException($"unexpected {packet.Type.ToString().ToUpperInvariant()} from the broker") { ReasonCode = 0x82 };
        }
    }

    private void CompleteOutbound(PublishResponsePacket response)
    {
        Complete(response.PacketId, response);
        _sendQuota.Release();
        _counters.AddMessagePublished();
    }

    private void Complete(ushort packetId, MqttPacket answer)
    {
        if (!_pending.Complete(packetId, answer))
        {
            throw new MqttProtocolException($"{answer.Type.ToString().ToUpperInvariant()} for packet {packetId}, which is not in flight") { ReasonCode = 0x82 };
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        var written = new List<TaskCompletionSource>();
        var reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var batchBytes = 0;
                while (batchBytes < FlushThresholdBytes && reader.TryRead(out var item))
                {
                    batchBytes += Encode(item);
                    if (item.Written is { } completion)
                    {
                        written.Add(completion);
                    }
                }

                if (batchBytes > 0)
                {
                    var flush = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    Volatile.Write(ref _lastWriteTimestamp, _time.GetTimestamp());
                    if (flush.IsCompleted)
                    {
                        throw new IOException("the broker stopped reading");
                    }
                }

                foreach (var completion in written)
                {
                    completion.TrySetResult();
                }

                written.Clear();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Closing: whoever waits for these writes must hear that they may not have left.
            foreach (var completion in written)
            {
                completion.TrySetException(new MqttException("the MQTT connection closed while writing"));
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            foreach (var completion in written)
            {
                completion.TrySetException(new MqttException("the MQTT connection failed while writing", exception));
            }

            if (!IsClosing)
            {
                Fail(exception);
            }
        }
    }

    /// <summary>Encodes one queued item into the PipeWriter; returns the bytes written (0 for a dropped ack).</summary>
    private int Encode(in Outgoing item)
    {
        switch (item.Kind)
        {
            case OutgoingKind.ConsumerAck:
                if (!_inbound.TryAcknowledge(item.PacketId, item.Qos))
                {
                    // Unknown or repeated acknowledgement for this connection: never invent one.
                    _counters.AddAckDroppedStale();
                    return 0;
                }

                _counters.AddAckSent();
                var ackType = item.Qos == MqttQualityOfService.AtLeastOnce ? MqttPacketType.PubAck : MqttPacketType.PubRec;
                return MqttPacketWriter.WritePublishResponse(_writer, ackType, item.PacketId, 0, Version);
            case OutgoingKind.ConsumerRelease:
                if (!_inbound.TryRelease(item.PacketId))
                {
                    _counters.AddAckDroppedStale();
                    return 0;
                }

                _counters.AddReleaseAcknowledged();
                return MqttPacketWriter.WritePublishResponse(_writer, MqttPacketType.PubComp, item.PacketId, 0, Version);
            case OutgoingKind.PubRec:
                return MqttPacketWriter.WritePublishResponse(_writer, MqttPacketType.PubRec, item.PacketId, 0, Version);
            case OutgoingKind.PubRel:
                return MqttPacketWriter.WritePublishResponse(_writer, MqttPacketType.PubRel, item.PacketId, 0, Version);
            case OutgoingKind.PubComp:
                return MqttPacketWriter.WritePublishResponse(_writer, MqttPacketType.PubComp, item.PacketId, 0, Version);
            case OutgoingKind.Publish:
                var written = MqttPacketWriter.WritePublish(_writer, item.Message!, item.PacketId, Version);
                if (item.Message!.Qos == MqttQualityOfService.AtMostOnce)
                {
                    _counters.AddMessagePublished();
                }

                return written;
            default:
                return MqttPacketWriter.Write(_writer, item.Packet!, Version);
        }
    }

    /// <summary>
    /// Keep-alive and answer deadlines: sends PINGREQ when due, closes the connection when an answer (PINGRESP,
    /// SUBACK, UNSUBACK) is later than <see cref="MqttClientOptions.ResponseTimeout"/>, and when the broker has been
    /// silent for 1.5 x keep-alive (dead peer). Runs even with keep-alive 0, for the answer deadlines.
    /// </summary>
    private async Task KeepAliveLoopAsync(CancellationToken cancellationToken)
    {
        var shortest = _keepAlive > TimeSpan.Zero && _keepAlive < _options.ResponseTimeout ? _keepAlive : _options.ResponseTimeout;
        var tick = TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(1).Ticks));
        var deadPeerAfter = _keepAlive * 1.5;
        var lastPingTimestamp = _time.GetTimestamp();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(tick, _time, cancellationToken).ConfigureAwait(false);
                var now = _time.GetTimestamp();
                if (_keepAlive > TimeSpan.Zero)
                {
                    // A PINGREQ when we have written nothing for the keep-alive (the broker's side of the contract), and
                    // also when we have READ nothing for it although we keep writing (acks, QoS 0): writes alone draw no
                    // answer, and only an answer proves the peer alive before the dead-peer limit below. At most one per
                    // half interval.
                    var writeIdle = _time.GetElapsedTime(Volatile.Read(ref _lastWriteTimestamp), now) >= _keepAlive;
                    var readIdle = _time.GetElapsedTime(Volatile.Read(ref _lastReadTimestamp), now) >= _keepAlive
                        && _time.GetElapsedTime(lastPingTimestamp, now) >= _keepAlive / 2;
                    if (writeIdle || readIdle)
                    {
                        // Mark the write now so one idle period queues one PINGREQ, not one per tick. The answer's
                        // deadline runs from the first unanswered PINGREQ.
                        Volatile.Write(ref _lastWriteTimestamp, now);
                        lastPingTimestamp = now;
                        Interlocked.CompareExchange(ref _pingSentTimestamp, now, 0);
                        Enqueue(new Outgoing(OutgoingKind.Packet, Packet: PingReqPacket.Instance));
                    }
                }

                if (FindOverdueAnswer(now) is { } answer)
                {
                    Fail(new MqttException(
                        $"no {answer} within {_options.ResponseTimeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s"));
                    return;
                }

                // Dead only after asking: a PINGREQ must have been out for half a keep-alive too. A process that stalled
                // (CPU-starved, a long pause) past the limit sends its PINGREQ on this tick and gives the broker time to
                // answer, instead of dropping a healthy connection it never asked.
                var silence = _time.GetElapsedTime(Volatile.Read(ref _lastReadTimestamp));
                var ping = Volatile.Read(ref _pingSentTimestamp);
                var asked = ping != 0 && _time.GetElapsedTime(ping) >= _keepAlive / 2;
                if (_keepAlive > TimeSpan.Zero && !_consumerBusy && silence > deadPeerAfter && asked)
                {
                    Fail(new MqttException(
                        $"no bytes from the broker for {silence.TotalSeconds:F1} s (keep-alive {_keepAlive.TotalSeconds:F0} s): dead peer"));
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Closing.
        }
        catch (MqttException)
        {
            // Enqueue after close: the connection is already going away.
        }
    }
}

/// <summary>One item of the writer loop's queue. A struct so queuing an acknowledgement allocates nothing.</summary>
internal readonly record struct Outgoing(
    OutgoingKind Kind,
    ushort PacketId = 0,
    MqttQualityOfService Qos = MqttQualityOfService.AtMostOnce,
    MqttPacket? Packet = null,
    MqttApplicationMessage? Message = null,
    TaskCompletionSource? Written = null);
