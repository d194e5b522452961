namespace EdgeStore.Mqtt.Codec;

/// <summary>
/// Remembers recently decoded topic names by their UTF-8 bytes, so a gateway that receives the same few hundred
/// telemetry topics over and over does not allocate a new string per message. Direct-mapped (one entry per slot,
/// newest wins) and owned by one connection's receive loop, so it needs no lock.
/// </summary>
internal sealed class TopicCache
{
    private const int SlotCount = 512;
    private const int MaxCachedBytes = 256;

    private readonly byte[]?[] _keys = new byte[SlotCount][];
    private readonly string?[] _topics = new string[SlotCount];

    /// <summary>The cached string for <paramref name="utf8"/>, or null when it must be decoded (and then stored).</summary>
    public string? Find(ReadOnlySpan<byte> utf8, out int slot)
    {
        var hash = new HashCode();
        hash.AddBytes(utf8);
        slot = hash.ToHashCode() & (SlotCount - 1);
        var key = _keys[slot];
        return key is not null && utf8.SequenceEqual(key) ? _topics[slot] : null;
    }

    /// <summary>Stores a topic that was just decoded from <paramref name="utf8"/> and found a valid topic name.</summary>
    public void Store(int slot, ReadOnlySpan<byte> utf8, string topic)
    {
        if (utf8.Length <= MaxCachedBytes)
        {
            _keys[slot] = utf8.ToArray();
            _topics[slot] = topic;
        }
    }
}
