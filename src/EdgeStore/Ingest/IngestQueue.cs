using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using EdgeStore.Storage;

namespace EdgeStore.Ingest;

/// <summary>
/// The queue between the MQTT receive loop and the batch writer, bounded twice: in messages (the channel's capacity)
/// and in payload bytes. A full queue makes the writer of a message wait, and that wait is the back-pressure: the
/// client's receive loop stops reading the socket, TCP's window closes, and the broker holds the rest (C2). The byte
/// bound is what keeps a burst of large payloads inside a small cgroup: 20,000 messages of 64 bytes are 1.3 MB, of
/// 1 MiB are 20 GB. One message larger than the whole byte budget is still taken when the queue holds no bytes, so it
/// cannot wait forever.
/// </summary>
internal sealed class IngestQueue
{
    private readonly Channel<IngestRecord> _channel;
    private readonly Lock _gate = new();
    private long _bytes;
    private bool _completed;
    private TaskCompletionSource? _roomFreed;

    public IngestQueue(int capacityMessages, long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityMessages, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1);
        CapacityBytes = capacityBytes;
        _channel = Channel.CreateBounded<IngestRecord>(new BoundedChannelOptions(capacityMessages)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        Reader = new ReleasingReader(this, _channel.Reader);
    }

    public long CapacityBytes { get; }

    /// <summary>Payload bytes queued and not yet taken by the writer.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>The writer's side: taking a record out frees its bytes.</summary>
    public ChannelReader<IngestRecord> Reader { get; }

    /// <summary>Takes no more records; writers waiting for room are woken and see the queue closed.</summary>
    public void Complete()
    {
        _channel.Writer.TryComplete();
        TaskCompletionSource? waiting;
        lock (_gate)
        {
            _completed = true;
            waiting = _roomFreed;
            _roomFreed = null;
        }

        waiting?.TrySetResult();
    }

    /// <summary>Queues without waiting, or returns false when either bound is reached (or the queue is completed).</summary>
    public bool TryWrite(IngestRecord record)
    {
        var size = SizeOf(record);
        if (!TryReserve(size))
        {
            return false;
        }

        if (_channel.Writer.TryWrite(record))
        {
            return true;
        }

        Release(size);
        return false;
    }

    /// <summary>
    /// Waits for room under both bounds, then queues. Throws <see cref="ChannelClosedException"/> once the queue is
    /// completed and <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires; the
    /// record's bytes are never left counted.
    /// </summary>
    public async ValueTask WriteAsync(IngestRecord record, CancellationToken cancellationToken)
    {
        var size = SizeOf(record);
        await ReserveAsync(size, cancellationToken).ConfigureAwait(false);
        try
        {
            await _channel.Writer.WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Release(size);
            throw;
        }
    }

    // What a record holds in memory beyond its fixed-size fields: its payload (the topic string is shared per topic).
    private static long SizeOf(in IngestRecord record) => record.Payload.Length;

    private bool TryReserve(long size)
    {
        lock (_gate)
        {
            if (_bytes == 0 || _bytes + size <= CapacityBytes)
            {
                _bytes += size;
                return true;
            }

            return false;
        }
    }

    private async ValueTask ReserveAsync(long size, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task roomFreed;
            lock (_gate)
            {
                if (_bytes == 0 || _bytes + size <= CapacityBytes)
                {
                    _bytes += size;
                    return;
                }

                if (_completed)
                {
                    throw new ChannelClosedException();
                }

                _roomFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                roomFreed = _roomFreed.Task;
            }

            await roomFreed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Release(long size)
    {
        if (size == 0)
        {
            return;
        }

        TaskCompletionSource? waiting;
        lock (_gate)
        {
            _bytes -= size;
            waiting = _roomFreed;
            _roomFreed = null;
        }

        waiting?.TrySetResult();
    }

    /// <summary>The channel's reader, releasing each record's bytes as the writer takes it.</summary>
    private sealed class ReleasingReader(IngestQueue queue, ChannelReader<IngestRecord> inner) : ChannelReader<IngestRecord>
    {
        public override Task Completion => inner.Completion;

        public override bool CanCount => inner.CanCount;

        public override int Count => inner.Count;

        public override bool CanPeek => inner.CanPeek;

        public override bool TryRead([MaybeNullWhen(false)] out IngestRecord item)
        {
            if (!inner.TryRead(out item))
            {
                return false;
            }

            queue.Release(SizeOf(item));
            return true;
        }

        public override bool TryPeek([MaybeNullWhen(false)] out IngestRecord item) => inner.TryPeek(out item);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);
    }
}
