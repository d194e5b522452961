using EdgeStore.Configuration;
using EdgeStore.Query;

namespace EdgeStore.Tests.Query;

public sealed class TimeArgumentTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("2h", 7200)]
    [InlineData("7d", 604_800)]
    [InlineData("1w", 604_800)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData(" 10m ", 600)]
    [InlineData("10M", 600)]
    [InlineData("5min", 300)]
    public void Durations_with_units(string text, double expectedSeconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("10")]
    [InlineData("10x")]
    [InlineData("10 m")]
    [InlineData("-5m")]
    [InlineData("10y")]
    [InlineData("12:00")]
    public void Bad_durations_are_refused(string text)
    {
        // "12:00" is a time of day on the command line, never a clock-style duration.
        Assert.False(DurationText.TryParse(text, out _));
    }

    [Fact]
    public void A_bare_number_is_seconds_only_where_allowed()
    {
        Assert.True(DurationText.TryParse("45", out var duration, allowBareSeconds: true));
        Assert.Equal(TimeSpan.FromSeconds(45), duration);
        Assert.False(DurationText.TryParse("45", out _));
    }

    [Theory]
    [InlineData("10m", "2026-05-01T11:50:00Z")]
    [InlineData("7d", "2026-04-24T12:00:00Z")]
    [InlineData("2026-04-30T08:15:00Z", "2026-04-30T08:15:00Z")]
    [InlineData("2026-04-30T08:15:00+02:00", "2026-04-30T06:15:00Z")]
    [InlineData("2026-04-30T08:15:00", "2026-04-30T08:15:00Z")]
    [InlineData("2026-04-30", "2026-04-30T00:00:00Z")]
    public void Times_are_durations_back_from_now_or_iso_8601_taken_as_utc_without_an_offset(string text, string expected)
    {
        Assert.True(TimeArgument.TryParse(text, Now, out var value));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("2026-13-01")]
    public void Other_times_are_refused(string text)
    {
        Assert.False(TimeArgument.TryParse(text, Now, out _));
    }
}
