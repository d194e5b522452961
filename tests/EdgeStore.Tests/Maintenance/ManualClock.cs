namespace EdgeStore.Tests.Maintenance;

/// <summary>A clock the test moves by hand: wall time and the monotonic timestamp move independently, so clock jumps can be simulated.</summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly object _gate = new();
    private DateTimeOffset _utcNow;
    private long _timestampTicks;

    public ManualClock(DateTimeOffset utcNow) => _utcNow = utcNow;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _utcNow;
        }
    }

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _timestampTicks;
        }
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Time passes: wall clock and monotonic clock both advance.</summary>
    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _utcNow += by;
            _timestampTicks += by.Ticks;
        }
    }

    /// <summary>The wall clock is set (NTP, operator): the monotonic clock does not move.</summary>
    public void JumpWallClock(TimeSpan by)
    {
        lock (_gate)
        {
            _utcNow += by;
        }
    }
}
