using System.Globalization;
using EdgeStore.Configuration;

namespace EdgeStore.Memory;

/// <summary>
/// Turns one sample (and the previous one, for counters) into Normal, Elevated or Critical. Pure: no clock,
/// no files. Every signal is optional; the worst signal wins. Thresholds are <see cref="MemorySettings"/>:
/// <list type="bullet">
/// <item>PSI (system and cgroup): the stall share is the worse of avg10 and the growth of "total" since the
/// previous poll (which reacts within one poll, where avg10 lags). Critical: full ≥ CriticalFull or some ≥
/// CriticalSome. Elevated: full ≥ ElevatedFull or some ≥ ElevatedSome.</item>
/// <item>MemAvailable against MemTotal: Critical below CriticalAvailable, Elevated below ElevatedAvailable.</item>
/// <item>Cgroup working set against its limit: Critical above CriticalCgroupUsage, Elevated above ElevatedCgroupUsage.</item>
/// <item>Cgroup events: oom or oom_kill grew: Critical; high grew: Elevated. "max" (v1 failcnt) growth alone is
/// not a signal: it counts every reclaim at the limit, page cache included, so it grows on a healthy
/// file-heavy cgroup all day; real trouble at the limit shows up as working set, PSI or oom.</item>
/// </list>
/// </summary>
internal sealed class PressureClassifier
{
    private readonly MemorySettings _settings;

    public PressureClassifier(MemorySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
    }

    public PressureAssessment Classify(MemorySample? previous, MemorySample current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var worst = PressureAssessment.Normal;
        var elapsed = previous is null ? TimeSpan.Zero : current.TakenAt - previous.TakenAt;

        worst = Worse(worst, Stall("PSI", previous?.SystemPressure, current.SystemPressure, elapsed));
        worst = Worse(worst, Stall("cgroup PSI", previous?.CgroupPressure, current.CgroupPressure, elapsed));

        if (current.AvailablePercent is { } available)
        {
            if (available < _settings.CriticalAvailablePercent)
            {
                worst = Worse(worst, new(MemoryPressureLevel.Critical, $"MemAvailable {F(available)}% < {F(_settings.CriticalAvailablePercent)}% of MemTotal"));
            }
            else if (available < _settings.ElevatedAvailablePercent)
            {
                worst = Worse(worst, new(MemoryPressureLevel.Elevated, $"MemAvailable {F(available)}% < {F(_settings.ElevatedAvailablePercent)}% of MemTotal"));
            }
        }

        if (current.CgroupUsage is { } usage)
        {
            var percent = usage.WorkingSetPercentOfLimit;
            if (percent > _settings.CriticalCgroupUsagePercent)
            {
                worst = Worse(worst, new(MemoryPressureLevel.Critical, $"cgroup working set {F(percent)}% > {F(_settings.CriticalCgroupUsagePercent)}% of its limit"));
            }
            else if (percent > _settings.ElevatedCgroupUsagePercent)
            {
                worst = Worse(worst, new(MemoryPressureLevel.Elevated, $"cgroup working set {F(percent)}% > {F(_settings.ElevatedCgroupUsagePercent)}% of its limit"));
            }
        }

        if (previous?.CgroupEvents is { } before && current.CgroupEvents is { } after)
        {
            if (after.OomKill > before.OomKill || after.Oom > before.Oom)
            {
                worst = Worse(worst, new(MemoryPressureLevel.Critical, $"cgroup OOM events grew (oom {before.Oom}->{after.Oom}, oom_kill {before.OomKill}->{after.OomKill})"));
            }
            else if (after.High > before.High)
            {
                worst = Worse(worst, new(MemoryPressureLevel.Elevated, $"cgroup memory.high events grew ({before.High}->{after.High})"));
            }
        }

        return worst;
    }

    /// <summary>The stall share over the last interval: growth of the cumulative µs counter against elapsed µs.</summary>
    public static double? IntervalStallPercent(long previousTotalMicroseconds, long currentTotalMicroseconds, TimeSpan elapsed)
    {
        if (elapsed <= TimeSpan.Zero || currentTotalMicroseconds < previousTotalMicroseconds)
        {
            return null;
        }

        var elapsedMicroseconds = elapsed.Ticks / (double)TimeSpan.TicksPerMicrosecond;
        return Math.Min(100, 100.0 * (currentTotalMicroseconds - previousTotalMicroseconds) / elapsedMicroseconds);
    }

    private PressureAssessment Stall(string name, PressureStall? previous, PressureStall? current, TimeSpan elapsed)
    {
        if (current is null)
        {
            return PressureAssessment.Normal;
        }

        var some = current.SomeAvg10Percent;
        var full = current.FullAvg10Percent;
        if (previous is not null)
        {
            some = Math.Max(some, IntervalStallPercent(previous.SomeTotalMicroseconds, current.SomeTotalMicroseconds, elapsed) ?? 0);
            full = Math.Max(full, IntervalStallPercent(previous.FullTotalMicroseconds, current.FullTotalMicroseconds, elapsed) ?? 0);
        }

        if (full >= _settings.CriticalFullStallPercent)
        {
            return new(MemoryPressureLevel.Critical, $"{name} full {F(full)}% >= {F(_settings.CriticalFullStallPercent)}%");
        }

        if (some >= _settings.CriticalSomeStallPercent)
        {
            return new(MemoryPressureLevel.Critical, $"{name} some {F(some)}% >= {F(_settings.CriticalSomeStallPercent)}%");
        }

        if (full >= _settings.ElevatedFullStallPercent)
        {
            return new(MemoryPressureLevel.Elevated, $"{name} full {F(full)}% >= {F(_settings.ElevatedFullStallPercent)}%");
        }

        return some >= _settings.ElevatedSomeStallPercent
            ? new(MemoryPressureLevel.Elevated, $"{name} some {F(some)}% >= {F(_settings.ElevatedSomeStallPercent)}%")
            : PressureAssessment.Normal;
    }

    private static PressureAssessment Worse(PressureAssessment a, PressureAssessment b) => b.Level > a.Level ? b : a;

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
