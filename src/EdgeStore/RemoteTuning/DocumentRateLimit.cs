namespace EdgeStore.RemoteTuning;

/// <summary>
/// A token bucket for desired documents: <c>burst</c> back to back, then one per interval. A document that finds
/// the bucket empty is not dropped: it waits, and a newer document that arrives meanwhile supersedes it (only the
/// newest desired state matters), so a flood costs at most one validation per interval.
/// </summary>
internal sealed class DocumentRateLimit
{
    private readonly int _burst;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private double _tokens;
    private long _refilledAt;

    public DocumentRateLimit(int burst, TimeSpan interval, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _burst = burst;
        _interval = interval;
        _timeProvider = timeProvider;
        _tokens = burst;
        _refilledAt = timeProvider.GetTimestamp();
    }

    /// <summary>Takes a token when one is available.</summary>
    public bool TryTake()
    {
        var now = _timeProvider.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (_timeProvider.GetElapsedTime(_refilledAt, now) / _interval));
        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }
}
