namespace EdgeStore.Storage;

/// <summary>
/// Memory for received payloads on their way to disk: each payload is carved from a 64 KiB <see cref="PayloadBlock"/>
/// and the block is used again once every payload carved from it has been released, which the batch writer does when
/// it clears a committed (or abandoned) batch. A burst of small messages then allocates nothing per payload and leaves
/// nothing for the collector to copy: a block lives as long as the blocks before it, and the free ones are kept.
/// </summary>
/// <remarks>
/// A block is reused only after it has stopped taking payloads and its last payload was released, so a payload's bytes
/// are never overwritten while a record still holds them. A payload that is never released (a record dropped while
/// stopping) only keeps its block from being reused; the collector takes the block when nothing refers to it.
/// </remarks>
public sealed class PayloadSlab
{
    /// <summary>The size of a block, under the large object heap's threshold so a block is an ordinary array.</summary>
    public const int BlockBytes = 64 * 1024;

    /// <summary>The largest payload carved from a block; the MQTT client gives larger ones their own array.</summary>
    public const int MaxPayloadBytes = 4096;

    private readonly Lock _gate = new();
    private readonly Stack<PayloadBlock> _free = new();
    private readonly int _maxFreeBlocks;
    private PayloadBlock? _current;

    /// <param name="maxFreeBlocks">How many released blocks are kept for reuse (16 by default: 1 MiB); more go to the
    /// collector, so a burst that needed many does not hold them for good.</param>
    public PayloadSlab(int maxFreeBlocks = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFreeBlocks);
        _maxFreeBlocks = maxFreeBlocks;
    }

    /// <summary>Blocks allocated since the slab was made (reused ones are not counted again).</summary>
    public long BlocksAllocated { get; private set; }

    /// <summary>
    /// <paramref name="length"/> bytes (1 to <see cref="MaxPayloadBytes"/>) no other live payload uses;
    /// <paramref name="owner"/> is their <see cref="PayloadBlock"/>, whose <see cref="PayloadBlock.Release"/> is called
    /// once when nothing reads them any more. Matches EdgeStore.Mqtt's payload allocator.
    /// </summary>
    public Memory<byte> Allocate(int length, out object? owner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaxPayloadBytes);
        PayloadBlock? retired = null;
        Memory<byte> memory;
        PayloadBlock block;
        lock (_gate)
        {
            if (_current is { } current && current.TryCarve(length, out memory))
            {
                block = current;
            }
            else
            {
                retired = _current;
                block = _free.Count > 0 ? _free.Pop() : NewBlock();
                block.Open();
                _current = block;
                block.TryCarve(length, out memory);
            }
        }

        // The slab's own hold on the block it stopped carving from: its last payload's release now recycles it.
        retired?.Release();
        owner = block;
        return memory;
    }

    internal void Recycle(PayloadBlock block)
    {
        lock (_gate)
        {
            if (_free.Count < _maxFreeBlocks)
            {
                _free.Push(block);
            }
        }
    }

    private PayloadBlock NewBlock()
    {
        BlocksAllocated++;
        return new PayloadBlock(this, BlockBytes);
    }
}
