using System.Threading.Channels;
using EdgeStore.Ingest;
using EdgeStore.Storage;

namespace EdgeStore.Tests.Ingest;

/// <summary>The ingest queue's two bounds: messages and payload bytes, whichever is reached first makes a writer wait.</summary>
public sealed class IngestQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_writer_waits_at_the_byte_bound_until_the_reader_takes_a_record()
    {
        var queue = new IngestQueue(capacityMessages: 100, capacityBytes: 100);
        Assert.True(queue.TryWrite(Record(60)));
        Assert.False(queue.TryWrite(Record(60))); // 120 bytes would exceed the bound of 100
        Assert.Equal(60, queue.Bytes);

        var waiting = queue.WriteAsync(Record(60), CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);

        Assert.True(queue.Reader.TryRead(out var first));
        Assert.Equal(60, first.Payload.Length);
        await waiting.WaitAsync(Patience);
        Assert.Equal(60, queue.Bytes);
        Assert.Equal(1, queue.Reader.Count);
    }

    [Fact]
    public async Task A_writer_waits_at_the_message_bound_even_with_bytes_to_spare()
    {
        var queue = new IngestQueue(capacityMessages: 2, capacityBytes: 1 << 20);
        Assert.True(queue.TryWrite(Record(1)));
        Assert.True(queue.TryWrite(Record(1)));
        Assert.False(queue.TryWrite(Record(1)));
        Assert.Equal(2, queue.Bytes); // a refused record leaves no bytes counted

        var waiting = queue.WriteAsync(Record(1), CancellationToken.None).AsTask();
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        Assert.True(queue.Reader.TryRead(out _));
        await waiting.WaitAsync(Patience);
        Assert.Equal(2, queue.Bytes);
    }

    [Fact]
    public void A_payload_larger_than_the_whole_bound_is_taken_when_the_queue_holds_no_bytes()
    {
        var queue = new IngestQueue(capacityMessages: 100, capacityBytes: 100);
        Assert.True(queue.TryWrite(Record(0))); // a record without payload (a PUBREL, a session marker) costs nothing
        Assert.True(queue.TryWrite(Record(500)));
        Assert.False(queue.TryWrite(Record(1)));
        Assert.True(queue.Reader.TryRead(out _));
        Assert.True(queue.Reader.TryRead(out var big));
        Assert.Equal(500, big.Payload.Length);
        Assert.Equal(0, queue.Bytes);
        Assert.True(queue.TryWrite(Record(500)));
    }

    [Fact]
    public async Task Completing_wakes_a_waiting_writer_with_the_queue_closed_and_the_reader_still_drains()
    {
        var queue = new IngestQueue(capacityMessages: 100, capacityBytes: 100);
        Assert.True(queue.TryWrite(Record(80)));
        var waiting = queue.WriteAsync(Record(80), CancellationToken.None).AsTask();

        queue.Complete();

        await Assert.ThrowsAsync<ChannelClosedException>(() => waiting.WaitAsync(Patience));
        Assert.Equal(80, queue.Bytes);
        Assert.True(queue.Reader.TryRead(out _));
        Assert.Equal(0, queue.Bytes);
        Assert.False(queue.TryWrite(Record(1)));
        await queue.Reader.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_no_bytes_counted()
    {
        var queue = new IngestQueue(capacityMessages: 100, capacityBytes: 100);
        Assert.True(queue.TryWrite(Record(80)));
        using var cancel = new CancellationTokenSource();
        var waiting = queue.WriteAsync(Record(80), cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience));
        Assert.Equal(80, queue.Bytes);
        Assert.Equal(1, queue.Reader.Count);
    }

    private static IngestRecord Record(int payloadBytes) =>
        new("sensors/a", new byte[payloadBytes], 1, false, 0, null, null, null, 0);
}
