using EdgeStore.Configuration;
using EdgeStore.Memory;

namespace EdgeStore.Tests.Memory;

public sealed class PressureClassifierTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly PressureClassifier _classifier = new(new MemorySettings());

    private static MemorySample Sample(
        double seconds = 0,
        long memTotal = 1000,
        long? memAvailable = 900,
        PressureStall? psi = null,
        PressureStall? cgroupPsi = null,
        CgroupMemoryEvents? events = null,
        CgroupMemoryUsage? usage = null) =>
        new(T0.AddSeconds(seconds), new MemInfo(memTotal, memAvailable), psi, cgroupPsi, events, usage);

    private static PressureStall Psi(double some = 0, double full = 0, long someTotal = 0, long fullTotal = 0) =>
        new(some, 0, someTotal, full, 0, fullTotal);

    [Fact]
    public void Quiet_host_is_normal()
    {
        Assert.Equal(MemoryPressureLevel.Normal, _classifier.Classify(null, Sample(psi: Psi(), events: new(0, 0, 0, 0))).Level);
    }

    [Fact]
    public void No_sources_at_all_is_normal()
    {
        var sample = new MemorySample(T0, null, null, null, null, null);
        Assert.Equal(MemoryPressureLevel.Normal, _classifier.Classify(null, sample).Level);
    }

    [Theory]
    [InlineData(9.99, 0, 0)]
    [InlineData(10, 0, 1)]
    [InlineData(39.9, 0, 1)]
    [InlineData(40, 0, 2)]
    [InlineData(0, 2, 1)]
    [InlineData(0, 5, 2)]
    public void Psi_avg10_thresholds(double some, double full, int expected)
    {
        Assert.Equal((MemoryPressureLevel)expected, _classifier.Classify(null, Sample(psi: Psi(some, full))).Level);
        Assert.Equal((MemoryPressureLevel)expected, _classifier.Classify(null, Sample(cgroupPsi: Psi(some, full))).Level);
    }

    [Fact]
    public void Growth_of_psi_total_between_polls_counts_before_avg10_catches_up()
    {
        // 2 s between polls, 1 s of "some" stall: 50% over the interval while avg10 still shows 0.
        var before = Sample(0, cgroupPsi: Psi(someTotal: 5_000_000));
        var after = Sample(2, cgroupPsi: Psi(someTotal: 6_000_000));

        var assessment = _classifier.Classify(before, after);

        Assert.Equal(MemoryPressureLevel.Critical, assessment.Level);
        Assert.Contains("cgroup PSI some 50%", assessment.Reason, StringComparison.Ordinal);
        Assert.Equal(50, PressureClassifier.IntervalStallPercent(5_000_000, 6_000_000, TimeSpan.FromSeconds(2)));
        Assert.Null(PressureClassifier.IntervalStallPercent(6_000_000, 5_000_000, TimeSpan.FromSeconds(2)));
    }

    [Theory]
    [InlineData(160, 0)]
    [InlineData(140, 1)]
    [InlineData(49, 2)]
    public void MemAvailable_share_of_MemTotal(long available, int expected)
    {
        Assert.Equal((MemoryPressureLevel)expected, _classifier.Classify(null, Sample(memAvailable: available)).Level);
    }

    [Fact]
    public void Missing_MemAvailable_is_not_a_signal()
    {
        Assert.Equal(MemoryPressureLevel.Normal, _classifier.Classify(null, Sample(memAvailable: null)).Level);
    }

    [Theory]
    [InlineData(800, 0, 0)]
    [InlineData(900, 0, 1)]
    [InlineData(960, 0, 2)]
    [InlineData(990, 500, 0)] // full of page cache the kernel can drop: not pressure
    public void Cgroup_working_set_against_limit(long usage, long inactiveFile, int expected)
    {
        var sample = Sample(usage: new CgroupMemoryUsage(usage, inactiveFile, 1000));
        Assert.Equal((MemoryPressureLevel)expected, _classifier.Classify(null, sample).Level);
    }

    [Fact]
    public void Cgroup_event_growth()
    {
        var baseline = Sample(0, events: new(High: 1, Max: 5, Oom: 0, OomKill: 0));

        Assert.Equal(MemoryPressureLevel.Elevated, _classifier.Classify(baseline, Sample(2, events: new(2, 5, 0, 0))).Level);
        Assert.Equal(MemoryPressureLevel.Critical, _classifier.Classify(baseline, Sample(2, events: new(1, 5, 1, 0))).Level);
        Assert.Equal(MemoryPressureLevel.Critical, _classifier.Classify(baseline, Sample(2, events: new(1, 5, 0, 1))).Level);
        // max alone grows whenever page cache is reclaimed at the limit: not a signal by itself.
        Assert.Equal(MemoryPressureLevel.Normal, _classifier.Classify(baseline, Sample(2, events: new(1, 900, 0, 0))).Level);
        // no previous sample: counters have nothing to grow from.
        Assert.Equal(MemoryPressureLevel.Normal, _classifier.Classify(null, Sample(2, events: new(9, 9, 9, 9))).Level);
    }

    [Fact]
    public void Worst_signal_wins_and_is_named()
    {
        var sample = Sample(memAvailable: 120, cgroupPsi: Psi(full: 7.5));

        var assessment = _classifier.Classify(null, sample);

        Assert.Equal(MemoryPressureLevel.Critical, assessment.Level);
        Assert.Equal("cgroup PSI full 7.5% >= 5%", assessment.Reason);
    }

    [Fact]
    public void Thresholds_are_configurable()
    {
        var strict = new PressureClassifier(new MemorySettings { ElevatedSomeStallPercent = 1, CriticalSomeStallPercent = 2 });
        Assert.Equal(MemoryPressureLevel.Critical, strict.Classify(null, Sample(psi: Psi(some: 2.5))).Level);
    }
}
