using EdgeStore.Configuration;
using EdgeStore.Maintenance;
using EdgeStore.Safety;
using EdgeStore.Testing;
using EdgeStore.Tests.Configuration;

namespace EdgeStore.Tests.Maintenance;

public sealed class MaintenanceScheduleTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static MaintenanceWindow Window(string start, string duration, string days)
    {
        Assert.True(MaintenanceDays.TryParse(days, out var parsedDays, out var error), error);
        Assert.True(DurationText.TryParse(duration, out var parsedDuration, allowClock: true));
        return new MaintenanceWindow(TimeOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture), parsedDuration, parsedDays);
    }

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute) =>
        new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void Window_crossing_midnight_belongs_to_the_day_it_starts_on()
    {
        // 2026-11-22 is a Sunday. The window opens only on Sundays, yet runs into Monday.
        var schedule = new MaintenanceSchedule([Window("23:00", "2h", "Sun")], TimeZoneInfo.Utc);

        var sundayNight = schedule.Evaluate(Utc(2026, 11, 22, 23, 30));
        Assert.True(sundayNight.IsOpen);
        Assert.Equal(Utc(2026, 11, 23, 1, 0), sundayNight.OpenUntil);

        var mondayEarly = schedule.Evaluate(Utc(2026, 11, 23, 0, 45));
        Assert.True(mondayEarly.IsOpen);
        Assert.Equal(Utc(2026, 11, 22, 23, 0), mondayEarly.OpenedAt);

        var mondayLater = schedule.Evaluate(Utc(2026, 11, 23, 1, 0));
        Assert.False(mondayLater.IsOpen);
        Assert.Equal(Utc(2026, 11, 29, 23, 0), mondayLater.NextStart);

        // Monday 23:30 is not in a window: Monday is not one of its days.
        Assert.False(schedule.Evaluate(Utc(2026, 11, 23, 23, 30)).IsOpen);
    }

    [Fact]
    public void Several_windows_pick_the_next_opening_and_merge_when_they_touch()
    {
        var schedule = new MaintenanceSchedule(
            [Window("02:00", "1h", "Mon-Fri"), Window("03:00", "30m", "Mon-Fri"), Window("14:00", "15m", "Sat,Sun")],
            TimeZoneInfo.Utc);

        // Friday 2026-11-20 02:30: the 02:00 window touches the 03:00 one, so maintenance runs until 03:30.
        var friday = schedule.Evaluate(Utc(2026, 11, 20, 2, 30));
        Assert.True(friday.IsOpen);
        Assert.Equal(Utc(2026, 11, 20, 3, 30), friday.OpenUntil);
        Assert.Equal(Utc(2026, 11, 21, 14, 0), friday.NextStart);

        // Saturday 10:00: next is Saturday 14:00; Sunday 15:00: next is Monday 02:00.
        Assert.Equal(Utc(2026, 11, 21, 14, 0), schedule.Evaluate(Utc(2026, 11, 21, 10, 0)).NextStart);
        var sunday = schedule.Evaluate(Utc(2026, 11, 22, 15, 0));
        Assert.False(sunday.IsOpen);
        Assert.Equal(Utc(2026, 11, 23, 2, 0), sunday.NextStart);
    }

    [Theory]
    [InlineData("Mon-Sun", "Mon,Tue,Wed,Thu,Fri,Sat,Sun")]
    [InlineData("Mon,Wed,Fri", "Mon,Wed,Fri")]
    [InlineData("fri-mon", "Mon,Fri,Sat,Sun")]
    [InlineData("Monday, Saturday", "Mon,Sat")]
    [InlineData("Tue-Thu,Sun", "Tue,Wed,Thu,Sun")]
    public void Days_parse_lists_and_wrapping_ranges(string text, string expected)
    {
        Assert.True(MaintenanceDays.TryParse(text, out var days, out var error), error);
        var expectedDays = expected.Split(',').Select(d => Enum.GetValues<DayOfWeek>().Single(x => x.ToString().StartsWith(d, StringComparison.Ordinal))).ToHashSet();
        foreach (var day in Enum.GetValues<DayOfWeek>())
        {
            Assert.Equal(expectedDays.Contains(day), days.Contains(day));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("Funday")]
    [InlineData("Mon-Xyz")]
    [InlineData("Monkey")]
    public void Bad_days_are_rejected_with_a_reason(string text)
    {
        Assert.False(MaintenanceDays.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Start_inside_the_spring_forward_gap_opens_when_the_gap_ends_and_keeps_its_duration()
    {
        // Europe/Berlin skips 02:00-03:00 local on Sunday 2026-03-29 (01:00 UTC).
        var schedule = new MaintenanceSchedule([Window("02:30", "1h", "Mon-Sun")], Berlin);
        var before = schedule.Evaluate(Utc(2026, 3, 29, 0, 0));
        Assert.False(before.IsOpen);
        Assert.Equal(Utc(2026, 3, 29, 1, 0), before.NextStart); // 03:00 CEST

        var inside = schedule.Evaluate(Utc(2026, 3, 29, 1, 30));
        Assert.True(inside.IsOpen);
        Assert.Equal(Utc(2026, 3, 29, 2, 0), inside.OpenUntil); // one elapsed hour

        // The day before and after, 02:30 local is an ordinary time (CET = UTC+1, CEST = UTC+2).
        Assert.Equal(Utc(2026, 3, 28, 1, 30), schedule.Evaluate(Utc(2026, 3, 28, 0, 0)).NextStart);
        Assert.Equal(Utc(2026, 3, 30, 0, 30), schedule.Evaluate(Utc(2026, 3, 29, 12, 0)).NextStart);
    }

    [Fact]
    public void Start_in_the_repeated_fall_back_hour_opens_once()
    {
        // Europe/Berlin repeats 02:00-03:00 local on Sunday 2026-10-25: 02:30 happens at 00:30 and 01:30 UTC.
        var schedule = new MaintenanceSchedule([Window("02:30", "30m", "Sun")], Berlin);
        var first = schedule.Evaluate(Utc(2026, 10, 25, 0, 45));
        Assert.True(first.IsOpen);
        Assert.Equal(Utc(2026, 10, 25, 1, 0), first.OpenUntil);

        var second = schedule.Evaluate(Utc(2026, 10, 25, 1, 45));
        Assert.False(second.IsOpen);
        Assert.Equal(Utc(2026, 11, 1, 1, 30), second.NextStart); // next Sunday, CET
    }

    [Fact]
    public void Window_spanning_a_dst_change_lasts_its_elapsed_duration()
    {
        // 01:00 local for 3h on the spring-forward night: 00:00 UTC to 03:00 UTC (04:00 CEST local end, not 05:00).
        var schedule = new MaintenanceSchedule([Window("01:00", "3h", "Sun")], Berlin);
        var snapshot = schedule.Evaluate(Utc(2026, 3, 29, 2, 59));
        Assert.True(snapshot.IsOpen);
        Assert.Equal(Utc(2026, 3, 29, 3, 0), snapshot.OpenUntil);
        Assert.False(schedule.Evaluate(Utc(2026, 3, 29, 3, 0)).IsOpen);
    }

    [Fact]
    public void Deadline_holds_against_wall_clock_jumps_both_ways()
    {
        var clock = new TrackingTimeProvider(Utc(2026, 11, 22, 2, 0));
        var deadline = new MaintenanceDeadline(clock, Utc(2026, 11, 22, 3, 0));
        Assert.Equal(TimeSpan.FromHours(1), deadline.Remaining);

        // The wall clock is set back two hours (NTP fixing a fast clock): the work still has only what was left.
        clock.Advance(TimeSpan.FromMinutes(10));
        clock.JumpWallClock(TimeSpan.FromHours(-2));
        Assert.Equal(TimeSpan.FromMinutes(50), deadline.Remaining);
        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.True(deadline.HasPassed);

        // A forward jump past the end stops the work at once.
        var clock2 = new TrackingTimeProvider(Utc(2026, 11, 22, 2, 0));
        var deadline2 = new MaintenanceDeadline(clock2, Utc(2026, 11, 22, 3, 0));
        clock2.JumpWallClock(TimeSpan.FromHours(5));
        Assert.True(deadline2.HasPassed);
    }

    [Fact]
    public void Settings_are_read_with_defaults_and_bad_fields_are_named()
    {
        var options = MaintenanceOptions.From(LoadedSettings.Valid(
            ("Maintenance:Windows:0:Start", "23:30"),
            ("Maintenance:Windows:0:Duration", "1h30m"),
            ("Maintenance:Windows:0:Days", "Mon,Wed,Fri"),
            ("Maintenance:Windows:1:Start", "12:00"),
            ("Maintenance:TimeZone", "Europe/Berlin"),
            ("Maintenance:WalHardLimitMiB", "32"),
            ("Retention:MessagesDays", "7"),
            ("SafeMode:CalmPeriod", "12h"),
            ("Storage:DiskFullPolicy", "deleteoldest")));
        Assert.Equal(2, options.Windows.Count);
        Assert.Equal(new TimeOnly(23, 30), options.Windows[0].Start);
        Assert.Equal(TimeSpan.FromMinutes(90), options.Windows[0].Duration);
        Assert.False(options.Windows[0].Days.Contains(DayOfWeek.Tuesday));
        Assert.Equal(TimeSpan.FromHours(2), options.Windows[1].Duration);
        Assert.Equal(32L << 20, options.WalHardLimitBytes);
        Assert.Equal(7, options.MessagesRetentionDays);
        Assert.Equal(30, options.QuarantineRetentionDays);
        Assert.Equal(TimeSpan.FromHours(12), options.SafeModeCalmPeriod);
        Assert.Equal(DiskFullPolicy.DeleteOldest, options.DiskFullPolicy);
        Assert.Equal("Europe/Berlin", options.TimeZone.Id);
    }

    [Fact]
    public void Every_bad_maintenance_field_is_named_at_once()
    {
        var errors = LoadedSettings.Errors(
            ("Maintenance:Windows:0:Start", "25:00"),
            ("Maintenance:Windows:0:Duration", "30h"),
            ("Maintenance:Windows:0:Days", "Someday"),
            ("Retention:MessagesDays", "-1"),
            ("Storage:DiskFullPolicy", "Panic"),
            ("Storage:DiskCheckInterval", "1ms"),
            ("Maintenance:TimeZone", "Mars/Olympus"));

        Assert.Equal(
            [
                "Maintenance:Windows:0:Start",
                "Maintenance:Windows:0:Duration",
                "Maintenance:Windows:0:Days",
                "Maintenance:TimeZone",
                "Storage:DiskFullPolicy",
                "Retention:MessagesDays",
                "Storage:DiskCheckInterval",
            ],
            errors.Select(e => e[..e.IndexOf(": ", StringComparison.Ordinal)]));
        Assert.Contains("Retention:MessagesDays: must be 0..36500 days (got -1)", errors);
        Assert.Contains("Storage:DiskCheckInterval: must be a duration from 100ms to 10m, such as 30s or 2h (got '1ms')", errors);
    }

    [Fact]
    public void Unvalidated_settings_are_refused_rather_than_half_applied()
    {
        var settings = LoadedSettings.Valid();
        settings.Maintenance.Windows = [new MaintenanceWindowSettings { Days = "Caturday" }];

        Assert.Throws<InvalidOperationException>(() => MaintenanceOptions.From(settings));
    }
}
