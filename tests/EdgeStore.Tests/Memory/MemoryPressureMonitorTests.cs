using EdgeStore.Configuration;
using EdgeStore.Memory;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Memory;

public sealed class MemoryPressureMonitorTests
{
    [Fact]
    public void Rises_at_once_falls_after_the_hold_and_says_why()
    {
        using var rig = new MemoryRig("v2-only", new MemorySettings { StepDownHoldSeconds = 30 });
        var changes = new List<MemoryPressureChange>();
        rig.Monitor.LevelChanged += changes.Add;

        Assert.Null(rig.Monitor.Poll());
        Assert.Equal(MemoryPressureLevel.Normal, rig.Monitor.Level);

        rig.CgroupPsi(some: 45);
        var rise = rig.Tick();
        Assert.Equal(new MemoryPressureChange(MemoryPressureLevel.Normal, MemoryPressureLevel.Critical, "cgroup PSI some 45% >= 40%", rig.Clock.GetUtcNow()), rise);

        rig.CgroupPsi(some: 0);
        // The first calm reading comes one 2 s poll after the rise; 15 polls later only 28 s have been calm.
        for (var i = 0; i < 15; i++)
        {
            Assert.Null(rig.Tick());
        }

        var fall = rig.Tick();
        Assert.NotNull(fall);
        Assert.Equal(MemoryPressureLevel.Normal, fall.Current);
        Assert.Equal(2, rig.Monitor.LevelChanges);
        Assert.Equal([rise!, fall], changes);
        Assert.Contains(rig.MonitorLogger.Lines, l => l.StartsWith("Warning: Memory pressure rose from Normal to Critical: cgroup PSI some 45% >= 40%", StringComparison.Ordinal));
        Assert.Contains(rig.MonitorLogger.Lines, l => l.StartsWith("Information: Memory pressure fell from Critical to Normal", StringComparison.Ordinal));
    }

    [Fact]
    public void Sources_that_vanish_or_appear_are_tolerated_and_logged()
    {
        using var rig = new MemoryRig("v2-only", new MemorySettings());
        rig.Monitor.Poll();
        Assert.Equal("meminfo, PSI, cgroup PSI, cgroup events, cgroup usage", rig.Monitor.Latest!.Sample.DescribeSources());

        rig.Tree.Delete("/proc/pressure/memory");
        rig.Tree.Delete(rig.Paths.V2Directory + "/memory.pressure");
        rig.Tree.Delete("/proc/meminfo");
        rig.Tick();

        Assert.Equal("cgroup events, cgroup usage", rig.Monitor.Latest!.Sample.DescribeSources());
        Assert.Equal(MemoryPressureLevel.Normal, rig.Monitor.Level);
        Assert.Contains("Information: Memory pressure sources: cgroup events, cgroup usage", rig.MonitorLogger.Lines);
    }

    [Fact]
    public void Oom_kill_in_the_cgroup_is_critical()
    {
        using var rig = new MemoryRig("v2-only", new MemorySettings());
        rig.Monitor.Poll();
        rig.Tree.Write(rig.Paths.V2Directory + "/memory.events", "low 0\nhigh 0\nmax 40\noom 1\noom_kill 1\n");

        var change = rig.Tick();

        Assert.Equal(MemoryPressureLevel.Critical, change!.Current);
        Assert.Contains("oom_kill 0->1", change.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Background_loop_polls_on_the_real_clock()
    {
        using var tree = FixtureTree.CopyOf("v1-only");
        var files = new MemoryFiles(tree.Root);
        var cgroup = new CgroupMemory(files, CgroupLocator.Locate(files));
        var settings = new MemorySettings { PollIntervalMs = 100 };
        using var monitor = new MemoryPressureMonitor(
            Microsoft.Extensions.Options.Options.Create(settings), new MemorySampler(files, cgroup, TimeProvider.System), TimeProvider.System, new RecordingLogger<MemoryPressureMonitor>());
        var risen = new TaskCompletionSource<MemoryPressureChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        monitor.LevelChanged += c => risen.TrySetResult(c);

        await monitor.StartAsync(CancellationToken.None);
        // 1000 MiB in use, none of it inactive file cache, against the 1 GiB limit of the parent slice.
        tree.Write("/sys/fs/cgroup/memory/system.slice/edgestore.service/memory.stat", "total_inactive_file 0\n");
        tree.Write("/sys/fs/cgroup/memory/system.slice/edgestore.service/memory.usage_in_bytes", "1048576000\n");
        var change = await risen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await monitor.StopAsync(CancellationToken.None);

        Assert.Equal(MemoryPressureLevel.Critical, change.Current);
        Assert.StartsWith("cgroup working set 97.66% > 95%", change.Reason, StringComparison.Ordinal);
    }
}
