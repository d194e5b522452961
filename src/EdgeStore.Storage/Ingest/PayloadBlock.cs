namespace EdgeStore.Storage;

/// <summary>
/// One block of a <see cref="PayloadSlab"/>: payloads are carved from it in order, and it counts the holds on it, one
/// per payload still read plus the slab's own while it carves from this block. The last release recycles it.
/// </summary>
public sealed class PayloadBlock
{
    private readonly PayloadSlab _slab;
    private readonly byte[] _bytes;
    private int _used;
    private int _holds;

    internal PayloadBlock(PayloadSlab slab, int size)
    {
        _slab = slab;
        _bytes = new byte[size];
    }

    /// <summary>One payload carved from this block is no longer read (call once per payload).</summary>
    public void Release()
    {
        var left = Interlocked.Decrement(ref _holds);
        if (left == 0)
        {
            _used = 0;
            _slab.Recycle(this);
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("a payload block was released more often than payloads were carved from it");
        }
    }

    // Under the slab's lock: the block starts carving, held by the slab.
    internal void Open() => _holds = 1;

    // Under the slab's lock.
    internal bool TryCarve(int length, out Memory<byte> memory)
    {
        if (_bytes.Length - _used < length)
        {
            memory = default;
            return false;
        }

        memory = _bytes.AsMemory(_used, length);
        _used += length;
        Interlocked.Increment(ref _holds);
        return true;
    }
}
