namespace EdgeStore.Uplink;

/// <summary>
/// A token bucket for Uplink:MaxMessagesPerSecond: at most that many rows a second on average, with bursts of a
/// tenth of a second's worth (at least one row). The rate is read at every call, so a tuned rate applies at once;
/// 0 means no limit.
/// </summary>
internal sealed class ForwardingRate
{
    private readonly TimeProvider _timeProvider;
    private readonly Func<int> _rate;
    private double _tokens;
    private long _lastTimestamp;

    public ForwardingRate(TimeProvider timeProvider, Func<int> rate)
    {
        _timeProvider = timeProvider;
        _rate = rate;
        _lastTimestamp = timeProvider.GetTimestamp();
    }

    /// <summary>Waits until one more row may go out.</summary>
    public async ValueTask WaitAsync(CancellationToken ct)
    {
        while (true)
        {
            var rate = _rate();
            if (rate <= 0)
            {
                return;
            }

            var burst = Math.Max(1.0, rate / 10.0);
            var now = _timeProvider.GetTimestamp();
            _tokens = Math.Min(burst, _tokens + (_timeProvider.GetElapsedTime(_lastTimestamp, now).TotalSeconds * rate));
            _lastTimestamp = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return;
            }

            var wait = TimeSpan.FromSeconds((1 - _tokens) / rate);
            await Task.Delay(wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait, _timeProvider, ct).ConfigureAwait(false);
        }
    }
}
