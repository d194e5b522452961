using System.Globalization;
using EdgeStore.Configuration;

namespace EdgeStore.Maintenance;

/// <summary>
/// One recurring maintenance window: a local wall-clock start, a duration and the days it opens on.
/// A window belongs to the day it starts on, so "Sun 23:00 for 2h" runs until Monday 01:00 even when
/// Monday is not one of its days. The duration is elapsed time: a window that spans a DST change
/// still lasts exactly its duration.
/// </summary>
internal sealed class MaintenanceWindow
{
    /// <summary>The shortest window accepted, locally and remotely (the daemon tests run windows of a few seconds).</summary>
    public static readonly TimeSpan MinDuration = TimeSpan.FromSeconds(1);

    /// <summary>The longest window accepted: one day, so two openings of one window never overlap.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    private static readonly string[] StartFormats = ["H:mm", "HH:mm", "HH:mm:ss"];

    public MaintenanceWindow(TimeOnly start, TimeSpan duration, MaintenanceDays days)
    {
        if (duration < MinDuration || duration > MaxDuration)
        {
            throw new ArgumentOutOfRangeException(nameof(duration), duration, "a window lasts 1 s to 24 hours");
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

    public override string ToString() => $"{Start:HH\\:mm} for {DurationText.Format(Duration)}, {Days}";

    /// <summary>"1 window (02:00 for 2h, Mon-Sun)", "2 windows (…; …)": how the log lines name a schedule.</summary>
    public static string Describe(IReadOnlyCollection<MaintenanceWindow> windows) =>
        $"{windows.Count} {(windows.Count == 1 ? "window" : "windows")} ({string.Join("; ", windows)})";

    /// <summary>
    /// The one rule for a window, for `Maintenance:Windows` and for remote desired documents alike: `start` a local
    /// time (`02:00`, `2:00`, `02:00:30`), `duration` in the duration grammar of <see cref="DurationText"/> from 1 s to
    /// 24 h (`2h`, `90m`, `1h30m`, `02:00:00`), `days` as <see cref="MaintenanceDays"/> reads them. Every problem is
    /// reported through <paramref name="report"/> with the field ("Start", "Duration" or "Days") and the reason;
    /// returns the window, or null when anything was wrong.
    /// </summary>
    public static MaintenanceWindow? TryCreate(string? start, string? duration, string? days, Action<string, string> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var ok = true;
        if (!TryParseStart(start, out var startTime))
        {
            report("Start", $"must be a local time HH:mm from 00:00 to 23:59, such as 02:00 (got '{Excerpt(start)}')");
            ok = false;
        }

        if (!DurationText.TryParse(duration, out var length, allowClock: true) || length < MinDuration || length > MaxDuration)
        {
            report("Duration", $"must be a duration from 1s to 24h, such as 2h, 90m or 1h30m (got '{Excerpt(duration)}')");
            ok = false;
        }

        MaintenanceDays? parsedDays = null;
        if ((days?.Length ?? 0) > 64)
        {
            report("Days", $"must be day names and ranges such as Mon-Sun or Mon,Wed,Fri (got '{Excerpt(days)}')");
            ok = false;
        }
        else if (!MaintenanceDays.TryParse(days, out var dayMask, out var error))
        {
            report("Days", error);
            ok = false;
        }
        else
        {
            parsedDays = dayMask;
        }

        return ok ? new MaintenanceWindow(startTime, length, parsedDays!) : null;
    }

    /// <summary>`02:00`, or `02:00:30` when the start has seconds: the spelling remote tuning persists and reports.</summary>
    public static string FormatStart(TimeOnly start) =>
        start.ToString(start.Second == 0 ? "HH:mm" : "HH:mm:ss", CultureInfo.InvariantCulture);

    private static bool TryParseStart(string? text, out TimeOnly start)
    {
        start = default;
        return text is not null && TimeOnly.TryParseExact(text.Trim(), StartFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out start);
    }

    private static string Excerpt(string? text) => text is null ? string.Empty : text.Length <= 40 ? text : text[..40] + "...";

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
