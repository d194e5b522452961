using EdgeStore.Configuration;
using EdgeStore.Memory;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Memory;

public sealed class MmapGovernorTests
{
    private const long MiB = 1024 * 1024;

    // v2-only fixture: the service cgroup is limited to 512 MiB, so the cap is 128 MiB.
    private static MemoryRig Rig() => new("v2-only", new MemorySettings { StepDownHoldSeconds = 0, CalmPeriodSeconds = 60 });

    [Fact]
    public void Cap_is_a_quarter_of_effective_ram_and_sqlite_ceiling()
    {
        Assert.Equal(128 * MiB, MmapCap.Compute(512 * MiB));
        Assert.Equal(EdgeStore.Storage.SqliteConnectionFactory.EngineMmapCeilingBytes, MmapCap.Compute(24L * 1024 * MiB));
        Assert.Equal(0, MmapCap.Compute(0));
        Assert.Equal(0, EdgeStore.Storage.SqliteConnectionFactory.EngineMmapCeilingBytes % 4096);
    }

    [Fact]
    public void Clamp_is_logged_once_and_reported()
    {
        using var rig = Rig();

        var first = rig.Cap.Clamp(1024 * MiB, "Storage:MmapSizeMiB");
        var again = rig.Cap.Clamp(1024 * MiB, "Storage:MmapSizeMiB");
        var within = rig.Cap.Clamp(64 * MiB, "remote");

        Assert.True(first.Clamped);
        Assert.Equal(128 * MiB, first.AppliedBytes);
        Assert.Equal(again, first);
        Assert.False(within.Clamped);
        Assert.Equal(first, rig.Cap.LastClamp);
        Assert.Single(rig.CapLogger.Lines, l => l.Contains("Storage:MmapSizeMiB asks for mmap 1 GiB; clamped to 128 MiB", StringComparison.Ordinal));
        Assert.Equal(0, rig.Cap.Clamp(-5, "remote").AppliedBytes);
    }

    [Fact]
    public async Task Steps_down_at_once_and_back_up_one_step_per_calm_period()
    {
        using var rig = Rig();
        var target = new RecordingLimitTarget();
        await rig.Governor.AttachStorageAsync(target, 256 * MiB, 8 * MiB, CancellationToken.None);
        Assert.Equal([new MemoryLimits(128 * MiB, 8 * MiB, false)], target.Applied);
        Assert.Equal(128 * MiB, rig.Status.MmapLimitBytes);

        rig.CgroupPsi(some: 15);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(new MemoryLimits(64 * MiB, 8 * MiB, false), target.Applied[^1]);

        rig.CgroupPsi(some: 0, full: 6);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(new MemoryLimits(0, 2 * MiB, true), target.Applied[^1]);
        Assert.Equal(0, rig.Status.MmapLimitBytes);

        rig.CgroupPsi(some: 0);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(MemoryPressureLevel.Normal, rig.Monitor.Level);
        Assert.Equal(3, target.Applied.Count); // Normal, but not calm for long enough yet

        rig.Clock.Advance(TimeSpan.FromSeconds(59));
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(3, target.Applied.Count);

        rig.Clock.Advance(TimeSpan.FromSeconds(1));
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(new MemoryLimits(64 * MiB, 8 * MiB, false), target.Applied[^1]);

        rig.Clock.Advance(TimeSpan.FromSeconds(60));
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(new MemoryLimits(128 * MiB, 8 * MiB, false), target.Applied[^1]);
        Assert.Equal(5, target.Applied.Count);

        var counters = rig.Governor.Counters;
        Assert.Equal(4, counters.LimitChanges);
        Assert.Equal(12, counters.ConnectionsRecycled); // 3 per change from the fake storage
        // released: 128 -> 64 (64 MiB), then 64 -> 0 (64 MiB): the 100 MiB file bounds the first to 36 MiB.
        Assert.Equal((100 - 64) * MiB + (64 * MiB), counters.BytesReleased);
        Assert.Equal(128 * MiB, rig.Status.MmapLimitBytes);
        Assert.Contains(rig.GovernorLogger.Lines, l => l.Contains("Memory limits set for Critical: mmap 64 MiB -> 0 bytes, cache 8 MiB -> 2 MiB, shrink_memory True", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pressure_returning_during_calm_restarts_the_calm_period()
    {
        using var rig = Rig();
        var target = new RecordingLimitTarget();
        await rig.Governor.AttachStorageAsync(target, 128 * MiB, 8 * MiB, CancellationToken.None);
        rig.CgroupPsi(some: 20);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        rig.CgroupPsi(some: 0);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);

        rig.Clock.Advance(TimeSpan.FromSeconds(40));
        rig.CgroupPsi(some: 12);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        rig.CgroupPsi(some: 0);
        rig.Tick();
        rig.Clock.Advance(TimeSpan.FromSeconds(40));
        await rig.Governor.ReconcileAsync(CancellationToken.None);

        Assert.Equal(64 * MiB, target.Applied[^1].MmapSizeBytes);
        Assert.Equal(2, target.Applied.Count);
    }

    [Fact]
    public async Task Failed_push_is_counted_and_retried()
    {
        using var rig = Rig();
        var target = new RecordingLimitTarget { FailuresToThrow = 1 };

        await rig.Governor.AttachStorageAsync(target, 128 * MiB, 8 * MiB, CancellationToken.None);
        Assert.Empty(target.Applied);
        Assert.Equal(1, rig.Governor.Counters.ApplyFailures);

        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal([new MemoryLimits(128 * MiB, 8 * MiB, false)], target.Applied);
    }

    [Fact]
    public async Task Requested_ceiling_is_clamped_and_applied()
    {
        using var rig = Rig();
        var target = new RecordingLimitTarget();
        await rig.Governor.AttachStorageAsync(target, 32 * MiB, 8 * MiB, CancellationToken.None);

        var result = rig.Governor.RequestCeiling(4096 * MiB, "remote:MmapSizeMiB");
        await rig.Governor.ReconcileAsync(CancellationToken.None);

        Assert.True(result.Clamped);
        Assert.Equal(128 * MiB, target.Applied[^1].MmapSizeBytes);
        Assert.Equal(128 * MiB, rig.Governor.CeilingBytes);
    }

    [Fact]
    public async Task Status_report_lines_show_level_limits_and_counters()
    {
        using var rig = Rig();
        await rig.Governor.AttachStorageAsync(new RecordingLimitTarget(), 1024 * MiB, 8 * MiB, CancellationToken.None);
        rig.Monitor.Poll();

        var lines = new MemoryStatusReport(rig.Monitor, rig.Governor, rig.Cap, rig.Paths).ToLines();

        Assert.Equal("memory pressure: Normal (0 level changes; sources: meminfo, PSI, cgroup PSI, cgroup events, cgroup usage; last reading: no signal above its threshold)", lines[0]);
        Assert.Equal("effective RAM: 512 MiB from cgroup limit (MemTotal 3.7 GiB, cgroup limit 512 MiB; cgroup v2 /sys/fs/cgroup/system.slice/edgestore.service)", lines[1]);
        Assert.Equal("mmap limit: 128 MiB (ceiling 128 MiB, cap 128 MiB = 25% of effective RAM); cache_size 8 MiB", lines[2]);
        Assert.Equal("mmap clamped: Storage:MmapSizeMiB asked 1 GiB, applied 128 MiB", lines[4]);
    }

    [Fact]
    public async Task Running_governor_reacts_to_a_level_change_without_being_asked()
    {
        using var rig = Rig();
        var target = new RecordingLimitTarget();
        await rig.Governor.AttachStorageAsync(target, 128 * MiB, 8 * MiB, CancellationToken.None);
        await rig.Governor.StartAsync(CancellationToken.None);

        rig.CgroupPsi(some: 0, full: 9);
        rig.Tick(); // raises LevelChanged, which wakes the governor's loop

        await Wait.UntilAsync(() => rig.Status.MmapLimitBytes == 0, TimeSpan.FromSeconds(30), "the governor's loop lowered mmap to 0");

        await rig.Governor.StopAsync(CancellationToken.None);
        Assert.Equal(new MemoryLimits(0, 2 * MiB, true), target.Applied[^1]);
        Assert.Equal(0, rig.Status.MmapLimitBytes);
    }
}
