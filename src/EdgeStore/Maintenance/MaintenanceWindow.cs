namespace EdgeStore.Maintenance;

/// <summary>
/// One recurring maintenance window: a local wall-clock start, a duration and the days it opens on.
/// A window belongs to the day it starts on, so "Sun 23:00 for 2h" runs until Monday 01:00 even when
/// Monday is not one of its days. The duration is elapsed time: a window that spans a DST change
/// still lasts exactly its duration.
/// </summary>
internal sealed class MaintenanceWindow
{
    /// <summary>The longest window accepted: one day, so two openings of one window never overlap.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    public MaintenanceWindow(TimeOnly start, TimeSpan duration, MaintenanceDays days)
    {
        if (duration <= TimeSpan.Zero || duration > MaxDuration)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "a window lasts more than zero and at most 24 hours");
        }

        Start = start;
        Duration = duration;
        Days = days;
    }

    public TimeOnly Start { get; }

    public TimeSpan Duration { get; }

    public MaintenanceDays Days { get; }

    /// <summary>
    /// The window's opening on <paramref name="localDate"/>, as UTC instants, or null when it does
    /// not open that day. A start inside a spring-forward gap opens at the end of the gap; a start
    /// in the repeated hour of a fall-back opens at its first occurrence (so it runs once).
    /// </summary>
    public (DateTimeOffset Start, DateTimeOffset End)? OpeningOn(DateOnly localDate, TimeZoneInfo timeZone)
    {
        if (!Days.Contains(localDate.DayOfWeek))
        {
            return null;
        }

        var wall = localDate.ToDateTime(Start, DateTimeKind.Unspecified);
        var startUtc = ToUtc(wall, timeZone);
        return (startUtc, startUtc + Duration);
    }

    public override string ToString() => $"{Start:HH\\:mm} for {Duration} on {Days}";

    private static DateTimeOffset ToUtc(DateTime wall, TimeZoneInfo timeZone)
    {
        if (timeZone.IsInvalidTime(wall))
        {
            // The clock skipped this wall time: open at the first valid minute after the gap.
            var probe = wall;
            for (var i = 0; i < 24 * 60 && timeZone.IsInvalidTime(probe); i++)
            {
                probe = probe.AddMinutes(1);
            }

            wall = probe;
        }

        if (timeZone.IsAmbiguousTime(wall))
        {
            // The largest offset is the earlier instant (daylight time, before the clock went back).
            var offsets = timeZone.GetAmbiguousTimeOffsets(wall);
            var offset = offsets.Max();
            return new DateTimeOffset(wall, offset).ToUniversalTime();
        }

        return new DateTimeOffset(wall, timeZone.GetUtcOffset(wall)).ToUniversalTime();
    }
}
