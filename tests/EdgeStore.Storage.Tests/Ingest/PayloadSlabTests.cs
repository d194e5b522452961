using System.Threading.Channels;

namespace EdgeStore.Storage.Tests.Ingest;

/// <summary>
/// The slab received payloads are copied into: no two live payloads share bytes, a block is used again only after
/// its last payload was released and it stopped carving (the batch writer's releases after each commit are in
/// BatchWriterTests).
/// </summary>
public sealed class PayloadSlabTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private static (Memory<byte> Memory, PayloadBlock Block) Carve(PayloadSlab slab, int length, byte fill)
    {
        var memory = slab.Allocate(length, out var owner);
        memory.Span.Fill(fill);
        return (memory, Assert.IsType<PayloadBlock>(owner));
    }

    [Fact]
    public void Payloads_carved_one_after_another_keep_their_own_bytes_across_blocks()
    {
        var slab = new PayloadSlab();
        var carved = Enumerable.Range(0, 100).Select(i => Carve(slab, 1 + (i * 37 % PayloadSlab.MaxPayloadBytes), (byte)i)).ToList();

        for (var i = 0; i < carved.Count; i++)
        {
            Assert.All(carved[i].Memory.ToArray(), b => Assert.Equal((byte)i, b));
        }

        Assert.True(slab.BlocksAllocated > 1, "the test should cross a block boundary");
    }

    [Fact]
    public void A_block_is_not_reused_while_one_of_its_payloads_is_held()
    {
        var slab = new PayloadSlab();
        var first = Enumerable.Range(0, PayloadSlab.BlockBytes / PayloadSlab.MaxPayloadBytes).Select(i => Carve(slab, PayloadSlab.MaxPayloadBytes, 1)).ToList();
        var held = first[^1];
        foreach (var payload in first.SkipLast(1))
        {
            payload.Block.Release();
        }

        // The first block is full: these go to a second and then a third block, never into the held one.
        var later = Enumerable.Range(0, 2 * first.Count).Select(i => Carve(slab, PayloadSlab.MaxPayloadBytes, 2)).ToList();

        Assert.Equal(3, slab.BlocksAllocated);
        Assert.All(held.Memory.ToArray(), b => Assert.Equal(1, b));
        Assert.All(later, p => Assert.NotSame(held.Block, p.Block));

        // Its last release recycles it: the next block needed (the third is full, the second still held) is that one.
        held.Block.Release();
        var next = Carve(slab, PayloadSlab.MaxPayloadBytes, 3);

        Assert.Same(held.Block, next.Block);
        Assert.Equal(3, slab.BlocksAllocated);
        Assert.All(later, p => Assert.All(p.Memory.ToArray(), b => Assert.Equal(2, b)));
    }

    [Fact]
    public void The_block_being_carved_is_not_recycled_when_its_payloads_so_far_are_all_released()
    {
        var slab = new PayloadSlab();
        var first = Carve(slab, 100, 1);
        first.Block.Release();

        var second = Carve(slab, 100, 2);

        Assert.Same(first.Block, second.Block);
        Assert.Equal(1, slab.BlocksAllocated);
        Assert.False(first.Memory.Span.Overlaps(second.Memory.Span), "the second payload must not reuse the first one's bytes while the block is carved");
    }

    [Fact]
    public void Without_room_for_free_blocks_a_released_block_goes_to_the_collector()
    {
        var slab = new PayloadSlab(maxFreeBlocks: 0);
        for (var i = 0; i < 3 * PayloadSlab.BlockBytes / PayloadSlab.MaxPayloadBytes; i++)
        {
            Carve(slab, PayloadSlab.MaxPayloadBytes, 0).Block.Release();
        }

        Assert.Equal(3, slab.BlocksAllocated);
    }

    [Fact]
    public void Releasing_more_often_than_carving_is_refused()
    {
        var slab = new PayloadSlab();
        var payload = Carve(slab, 10, 0);
        payload.Block.Release(); // the payload's hold; the slab still holds the block it carves from

        // Only the slab's own hold is left: taking it from outside is a bug the block reports rather than recycling a
        // block that is still being carved.
        payload.Block.Release();
        Assert.Throws<InvalidOperationException>(payload.Block.Release);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(PayloadSlab.MaxPayloadBytes + 1)]
    public void A_length_outside_one_to_the_maximum_is_refused(int length) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PayloadSlab().Allocate(length, out _));

    [Fact]
    public async Task A_consumer_on_another_thread_never_sees_a_payload_change_before_releasing_it()
    {
        var slab = new PayloadSlab();
        var channel = Channel.CreateBounded<(int Index, Memory<byte> Memory, PayloadBlock Block)>(500);
        var corrupted = 0;
        using var timeout = new CancellationTokenSource(Generous);
        var consumer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (index, memory, block) in channel.Reader.ReadAllAsync(timeout.Token))
                {
                    foreach (var b in memory.Span)
                    {
                        if (b != (byte)index)
                        {
                            corrupted++;
                            break;
                        }
                    }

                    block.Release();
                }
            }
            catch (Exception e)
            {
                // The producer must not wait on a consumer that is gone: it sees the channel closed.
                channel.Writer.TryComplete(e);
                throw;
            }
        });

        try
        {
            for (var i = 0; i < 100_000; i++)
            {
                var (memory, block) = Carve(slab, 1 + (i % 300), (byte)i);
                await channel.Writer.WriteAsync((i, memory, block), timeout.Token);
            }

            channel.Writer.Complete();
        }
        catch (ChannelClosedException)
        {
            // The consumer failed; awaiting it below reports why.
        }

        await consumer.WaitAsync(Generous);

        Assert.Equal(0, corrupted);
        Assert.InRange(slab.BlocksAllocated, 1, 16); // 15 MB of payloads through a few reused blocks
    }
}
