namespace EdgeStore.Uplink;

/// <summary>
/// The rows of one stream sent on the current connection and not yet acknowledged, in id order, and the end of the
/// contiguous acknowledged prefix: every row up to <see cref="Through"/> that was sent has its PUBACK. Row ids have gaps
/// (rows deleted, quarantined payloads in their own table), so the prefix ends just below the oldest unacknowledged id,
/// never at a count. Thread-safe: acknowledgements complete on MQTTnet's threads.
/// </summary>
internal sealed class AcknowledgedPrefix
{
    private readonly Lock _gate = new();
    private readonly SortedSet<long> _pending = [];
    private long _lastSent;

    /// <param name="through">Where the stream stands: its committed cursor, or the prefix of the previous connection.</param>
    public AcknowledgedPrefix(long through)
    {
        _lastSent = through;
    }

    /// <summary>Every row with an id up to this one that was sent is acknowledged.</summary>
    public long Through
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count == 0 ? _lastSent : _pending.Min - 1;
            }
        }
    }

    /// <summary>The id of the last row sent (where the next read starts).</summary>
    public long LastSent
    {
        get
        {
            lock (_gate)
            {
                return _lastSent;
            }
        }
    }

    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Records <paramref name="id"/> as sent; ids must come in increasing order.</summary>
    public void Sent(long id)
    {
        lock (_gate)
        {
            if (id <= _lastSent)
            {
                throw new InvalidOperationException($"row {id} sent after row {_lastSent}: rows go up in id order");
            }

            _pending.Add(id);
            _lastSent = id;
        }
    }

    /// <summary>Records the PUBACK of <paramref name="id"/>.</summary>
    public void Acknowledged(long id)
    {
        lock (_gate)
        {
            _pending.Remove(id);
        }
    }
}
