namespace EdgeStore.Maintenance;

/// <summary>
/// When the current window's work must stop. Bounded twice: by the window's end on the wall clock
/// and by the time left when the work began, measured on the monotonic clock. A wall clock that
/// jumps forward past the end stops the work; one that jumps back cannot stretch it.
/// </summary>
internal sealed class MaintenanceDeadline
{
    private readonly TimeProvider _timeProvider;
    private readonly DateTimeOffset _wallEnd;
    private readonly long _startTimestamp;
    private readonly TimeSpan _budget;

    public MaintenanceDeadline(TimeProvider timeProvider, DateTimeOffset wallEnd)
    {
        _timeProvider = timeProvider;
        _wallEnd = wallEnd;
        _startTimestamp = timeProvider.GetTimestamp();
        var left = wallEnd - timeProvider.GetUtcNow();
        _budget = left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>A deadline for on-demand runs (`cmd/maintenance`): the work gets <paramref name="budget"/>.</summary>
    public static MaintenanceDeadline After(TimeProvider timeProvider, TimeSpan budget) =>
        new(timeProvider, timeProvider.GetUtcNow() + budget);

    public DateTimeOffset WallEnd => _wallEnd;

    public TimeSpan Remaining
    {
        get
        {
            var byWall = _wallEnd - _timeProvider.GetUtcNow();
            var byMonotonic = _budget - _timeProvider.GetElapsedTime(_startTimestamp);
            var left = byWall < byMonotonic ? byWall : byMonotonic;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    public bool HasPassed => Remaining <= TimeSpan.Zero;

    /// <summary>True when at least <paramref name="needed"/> is left, so a step that cannot be interrupted may start.</summary>
    public bool Allows(TimeSpan needed) => Remaining > needed;
}
