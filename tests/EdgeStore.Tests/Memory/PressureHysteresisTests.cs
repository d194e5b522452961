using EdgeStore.Memory;

namespace EdgeStore.Tests.Memory;

public sealed class PressureHysteresisTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Rising_is_immediate_and_stepping_down_waits_for_the_hold()
    {
        var h = new PressureHysteresis(TimeSpan.FromSeconds(30));

        Assert.Equal(MemoryPressureLevel.Critical, h.Update(MemoryPressureLevel.Critical, T0));
        Assert.Equal(MemoryPressureLevel.Critical, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(2)));
        Assert.Equal(MemoryPressureLevel.Critical, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(31)));
        Assert.Equal(MemoryPressureLevel.Normal, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(32)));
    }

    [Fact]
    public void A_reading_back_at_the_level_restarts_the_hold()
    {
        var h = new PressureHysteresis(TimeSpan.FromSeconds(30));
        h.Update(MemoryPressureLevel.Elevated, T0);
        h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(10));
        h.Update(MemoryPressureLevel.Elevated, T0.AddSeconds(20));

        Assert.Equal(MemoryPressureLevel.Elevated, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(45)));
        Assert.Equal(MemoryPressureLevel.Elevated, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(74)));
        Assert.Equal(MemoryPressureLevel.Normal, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(75)));
    }

    [Fact]
    public void Mixed_lower_readings_step_down_to_the_worst_of_them_then_hold_again()
    {
        var h = new PressureHysteresis(TimeSpan.FromSeconds(30));
        h.Update(MemoryPressureLevel.Critical, T0);
        h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(2));
        h.Update(MemoryPressureLevel.Elevated, T0.AddSeconds(10));

        Assert.Equal(MemoryPressureLevel.Elevated, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(32)));
        Assert.Equal(MemoryPressureLevel.Elevated, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(61)));
        Assert.Equal(MemoryPressureLevel.Normal, h.Update(MemoryPressureLevel.Normal, T0.AddSeconds(62)));
    }

    [Fact]
    public void Zero_hold_follows_readings()
    {
        var h = new PressureHysteresis(TimeSpan.Zero);
        h.Update(MemoryPressureLevel.Critical, T0);
        Assert.Equal(MemoryPressureLevel.Normal, h.Update(MemoryPressureLevel.Normal, T0));
    }
}
