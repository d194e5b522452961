namespace EdgeStore.Storage;

/// <summary>
/// 64-bit FNV-1a over the payload bytes. It is stored (messages.payload_hash), so it must never change
/// and must not be seeded per process (which rules out <see cref="HashCode"/>). It only narrows the
/// idempotency check for messages without a device sequence; equal hashes are confirmed by comparing
/// the payload bytes, so a collision never drops a message (see IngestStatements).
/// </summary>
internal static class PayloadHash
{
    private const ulong OffsetBasis = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    public static long Compute(ReadOnlySpan<byte> payload)
    {
        var hash = OffsetBasis;
        foreach (var b in payload)
        {
            hash ^= b;
            hash *= Prime;
        }

        return unchecked((long)hash);
    }
}
