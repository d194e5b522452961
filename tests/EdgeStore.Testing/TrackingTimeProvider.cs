using Microsoft.Extensions.Time.Testing;

namespace EdgeStore.Testing;

/// <summary>
/// <see cref="FakeTimeProvider"/> (time moves only when a test advances it; timers fire on the advancing thread)
/// plus what it does not show: which timers are armed and when they are due, for tests that wait until code under
/// test armed a timer (instead of sleeping) or assert that it stopped every timer; and a wall clock that can be set
/// apart from the monotonic one (NTP, an operator), which <see cref="FakeTimeProvider"/> keeps in step.
/// Use plain <see cref="FakeTimeProvider"/> wherever this is not needed.
/// </summary>
public sealed class TrackingTimeProvider : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<TrackedTimer> _timers = [];
    private TimeSpan _wallClockOffset;

    public TrackingTimeProvider()
    {
    }

    public TrackingTimeProvider(DateTimeOffset startDateTime)
        : base(startDateTime)
    {
    }

    /// <summary>Timers created and neither disposed nor stopped (due time infinite and no period left to run).</summary>
    public int ArmedTimerCount
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(t => t.DueAt is not null);
            }
        }
    }

    /// <summary>When each armed timer is next due, on this provider's clock (as <see cref="FakeTimeProvider.GetUtcNow"/> moves).</summary>
    public IReadOnlyList<DateTimeOffset> ArmedDueTimes()
    {
        lock (_gate)
        {
            return [.. _timers.Where(t => t.DueAt is not null).Select(t => t.DueAt!.Value)];
        }
    }

    /// <summary>The wall clock is set by <paramref name="by"/>: <see cref="GetUtcNow"/> jumps, <see cref="FakeTimeProvider.GetTimestamp"/> does not.</summary>
    public void JumpWallClock(TimeSpan by)
    {
        lock (_gate)
        {
            _wallClockOffset += by;
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        TimeSpan offset;
        lock (_gate)
        {
            offset = _wallClockOffset;
        }

        // The base is never called with the gate held: it may take its own lock and call back into this class.
        return base.GetUtcNow() + offset;
    }

    /// <summary>The monotonic clock: moved by Advance, not by <see cref="JumpWallClock"/>.</summary>
    public override long GetTimestamp() => MonotonicNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var tracked = new TrackedTimer(this);
        tracked.Arm(dueTime, period);
        lock (_gate)
        {
            _timers.Add(tracked);
        }

        tracked.Inner = base.CreateTimer(
            s =>
            {
                tracked.Fired();
                callback(s);
            },
            state,
            dueTime,
            period);
        return tracked;
    }

    private DateTimeOffset MonotonicNow() => base.GetUtcNow();

    private sealed class TrackedTimer(TrackingTimeProvider owner) : ITimer
    {
        private TimeSpan _period;

        public ITimer Inner { get; set; } = null!;

        public DateTimeOffset? DueAt { get; private set; }

        public void Arm(TimeSpan dueTime, TimeSpan period)
        {
            var now = owner.MonotonicNow();
            lock (owner._gate)
            {
                _period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : now + dueTime;
            }
        }

        /// <summary>Runs on the advancing thread as the timer fires, before the callback: the clock reads the due time.</summary>
        public void Fired()
        {
            var now = owner.MonotonicNow();
            lock (owner._gate)
            {
                DueAt = _period > TimeSpan.Zero ? now + _period : null;
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Arm(dueTime, period);
            return Inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                DueAt = null;
                owner._timers.Remove(this);
            }

            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
