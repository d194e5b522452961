namespace EdgeStore.Maintenance;

/// <summary>
/// The set of maintenance windows, evaluated in the gateway's local time zone. Everything is
/// computed from the instant it is asked about (no remembered state), so a clock that jumps
/// (NTP correcting a Pi without an RTC, DST) simply yields a different answer at the next look.
/// </summary>
internal sealed class MaintenanceSchedule
{
    private readonly IReadOnlyList<MaintenanceWindow> _windows;

    public MaintenanceSchedule(IReadOnlyList<MaintenanceWindow> windows, TimeZoneInfo timeZone)
    {
        _windows = windows;
        TimeZone = timeZone;
    }

    public IReadOnlyList<MaintenanceWindow> Windows => _windows;

    public TimeZoneInfo TimeZone { get; }

    public ScheduleSnapshot Evaluate(DateTimeOffset now)
    {
        if (_windows.Count == 0)
        {
            return new ScheduleSnapshot(false, null, null, null);
        }

        var openings = OpeningsAround(now);
        DateTimeOffset? openedAt = null;
        DateTimeOffset? openUntil = null;
        foreach (var (start, end) in openings)
        {
            if (openUntil is null)
            {
                if (start <= now && now < end)
                {
                    openedAt = start;
                    openUntil = end;
                }
            }
            else if (start <= openUntil.Value && end > openUntil.Value)
            {
                // Windows that overlap or touch the open one extend it: maintenance runs on.
                openUntil = end;
            }
        }

        DateTimeOffset? nextStart = null;
        foreach (var (start, _) in openings)
        {
            if (start > now && (openUntil is null || start > openUntil.Value))
            {
                nextStart = start;
                break;
            }
        }

        return new ScheduleSnapshot(openUntil is not null, openUntil, openedAt, nextStart);
    }

    /// <summary>Openings from two days before to eight days after <paramref name="now"/>, sorted by start.</summary>
    private List<(DateTimeOffset Start, DateTimeOffset End)> OpeningsAround(DateTimeOffset now)
    {
        var localToday = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, TimeZone).DateTime);
        var openings = new List<(DateTimeOffset Start, DateTimeOffset End)>();
        for (var dayOffset = -2; dayOffset <= 8; dayOffset++)
        {
            var date = localToday.AddDays(dayOffset);
            foreach (var window in _windows)
            {
                if (window.OpeningOn(date, TimeZone) is { } opening)
                {
                    openings.Add(opening);
                }
            }
        }

        openings.Sort((a, b) => a.Start.CompareTo(b.Start));
        return openings;
    }
}
