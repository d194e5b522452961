using EdgeStore.Configuration;

namespace EdgeStore.Tests.Configuration;

/// <summary>The one duration grammar, as settings, desired documents and the command line all read it.</summary>
public sealed class DurationTextTests
{
    [Theory]
    [InlineData("2h", 7200)]
    [InlineData("90m", 5400)]
    [InlineData("1H30M", 5400)]
    [InlineData("45s", 45)]
    [InlineData("7d", 604_800)]
    [InlineData("1w", 604_800)]
    [InlineData("250ms", 0.25)]
    public void Units_read_the_same_everywhere(string text, double seconds)
    {
        Assert.True(DurationText.TryParse(text, out var plain));
        Assert.True(DurationText.TryParse(text, out var setting, allowClock: true));
        Assert.Equal(TimeSpan.FromSeconds(seconds), plain);
        Assert.Equal(plain, setting);
    }

    [Fact]
    public void Clock_form_is_only_read_where_asked_for()
    {
        Assert.True(DurationText.TryParse("02:00:00", out var duration, allowClock: true));
        Assert.Equal(TimeSpan.FromHours(2), duration);
        Assert.False(DurationText.TryParse("02:00:00", out _));
        Assert.False(DurationText.TryParse("-01:00:00", out _, allowClock: true));
    }
}
