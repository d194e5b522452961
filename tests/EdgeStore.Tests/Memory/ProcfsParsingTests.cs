using System.Globalization;
using System.Text.RegularExpressions;
using EdgeStore.Configuration;
using EdgeStore.Memory;

namespace EdgeStore.Tests.Memory;

public sealed class ProcfsParsingTests
{
    private static MemoryFiles Fixture(string name) => new(FixtureTree.FixturePath(name));

    private static long KiBLine(string text, string name) =>
        long.Parse(Regex.Match(text, "^" + name + @":\s+(\d+) kB", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture) * 1024;

    [Fact]
    public void Captured_meminfo_parses_total_and_available_in_bytes()
    {
        var files = Fixture("hybrid-captured");
        var text = files.TryReadText(MemInfo.SystemPath)!;

        var info = MemInfo.Parse(text)!;

        Assert.Equal(KiBLine(text, "MemTotal"), info.MemTotalBytes);
        Assert.Equal(KiBLine(text, "MemAvailable"), info.MemAvailableBytes);
        Assert.True(info.MemAvailableBytes < info.MemTotalBytes);
    }

    [Fact]
    public void Meminfo_without_MemAvailable_or_MemTotal()
    {
        Assert.Null(MemInfo.Parse("MemTotal:  1000 kB\n")!.MemAvailableBytes);
        Assert.Null(MemInfo.Parse("MemFree:  1000 kB\n"));
        Assert.Null(MemInfo.Parse(null));
    }

    [Fact]
    public void Captured_psi_parses_both_lines()
    {
        var text = Fixture("hybrid-captured").TryReadText(PressureStall.SystemPath)!;
        var psi = PressureStall.Parse(text)!;
        var someTotal = long.Parse(Regex.Match(text, @"^some .*total=(\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
        var fullTotal = long.Parse(Regex.Match(text, @"^full .*total=(\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);

        Assert.Equal(someTotal, psi.SomeTotalMicroseconds);
        Assert.Equal(fullTotal, psi.FullTotalMicroseconds);
    }

    [Fact]
    public void Psi_values_and_missing_full_line()
    {
        var psi = PressureStall.Parse("some avg10=12.34 avg60=5.00 avg300=1.00 total=987654\nfull avg10=3.21 avg60=1.00 avg300=0.50 total=12345\n")!;
        Assert.Equal(12.34, psi.SomeAvg10Percent);
        Assert.Equal(5.00, psi.SomeAvg60Percent);
        Assert.Equal(987654, psi.SomeTotalMicroseconds);
        Assert.Equal(3.21, psi.FullAvg10Percent);
        Assert.Equal(12345, psi.FullTotalMicroseconds);

        var someOnly = PressureStall.Parse("some avg10=1.00 avg60=0.00 avg300=0.00 total=5\n")!;
        Assert.Equal(0, someOnly.FullAvg10Percent);
        Assert.Null(PressureStall.Parse("garbage\n"));
        Assert.Null(PressureStall.Parse(null));
    }

    [Fact]
    public void Captured_hybrid_host_finds_v1_memory_and_v2_trees()
    {
        var files = Fixture("hybrid-captured");
        var selfCgroup = files.TryReadText(CgroupLocator.SelfCgroupPath)!;
        var memoryPath = Regex.Match(selfCgroup, @"^\d+:memory:(\S+)$", RegexOptions.Multiline).Groups[1].Value;

        var paths = CgroupLocator.Locate(files);

        Assert.Equal("/sys/fs/cgroup/memory" + memoryPath, paths.V1MemoryDirectory);
        Assert.Equal("/sys/fs/cgroup/memory", paths.V1MemoryMountPoint);
        Assert.Equal("/sys/fs/cgroup/unified", paths.V2Directory);
        Assert.Equal("/sys/fs/cgroup/unified", paths.V2MountPoint);
    }

    [Fact]
    public void V2_only_host()
    {
        var paths = CgroupLocator.Locate(Fixture("v2-only"));

        Assert.Equal("/sys/fs/cgroup/system.slice/edgestore.service", paths.V2Directory);
        Assert.Equal("/sys/fs/cgroup", paths.V2MountPoint);
        Assert.Null(paths.V1MemoryDirectory);
    }

    [Fact]
    public void V1_only_host()
    {
        var paths = CgroupLocator.Locate(Fixture("v1-only"));

        Assert.Equal("/sys/fs/cgroup/memory/system.slice/edgestore.service", paths.V1MemoryDirectory);
        Assert.Null(paths.V2Directory);
    }

    [Fact]
    public void No_cgroup_host_and_empty_tree()
    {
        Assert.False(CgroupLocator.Locate(Fixture("no-cgroup")).HasAny);
        using var empty = FixtureTree.Empty();
        Assert.Equal(CgroupPaths.None, CgroupLocator.Locate(new MemoryFiles(empty.Root)));
    }

    [Fact]
    public void Self_cgroup_with_combined_controllers_and_colons_in_path()
    {
        var (v2, v1) = CgroupLocator.ParseSelfCgroup("5:cpu,memory,blkio:/box:1/app\n1:name=systemd:/x\n");
        Assert.Null(v2);
        Assert.Equal("/box:1/app", v1);

        (v2, v1) = CgroupLocator.ParseSelfCgroup("1:name=systemd:/x\n0::/\n");
        Assert.Equal("/", v2);
        Assert.Null(v1);
    }

    [Fact]
    public void Container_mount_root_is_stripped_and_escapes_decoded()
    {
        using var tree = FixtureTree.Empty();
        tree.Write(CgroupLocator.SelfCgroupPath, "0::/docker/abc\n4:memory:/docker/abc\n");
        tree.Write(CgroupLocator.SelfMountInfoPath,
            "40 31 0:38 /docker/abc /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n" +
            "35 31 0:32 /docker/abc /sys/fs/cgroup/my\\040memory rw master:9 - cgroup cgroup rw,memory\n");

        var paths = CgroupLocator.Locate(new MemoryFiles(tree.Root));

        Assert.Equal("/sys/fs/cgroup/unified", paths.V2Directory);
        Assert.Equal("/sys/fs/cgroup/my memory", paths.V1MemoryDirectory);
    }

    [Theory]
    [InlineData("max\n", null)]
    [InlineData("9223372036854771712\n", null)]
    [InlineData("4611686018427387904", null)]
    [InlineData("314572800\n", 314572800L)]
    [InlineData("", null)]
    public void Cgroup_limit_values(string text, long? expected) => Assert.Equal(expected, CgroupMemory.ParseLimit(text));

    [Fact]
    public void Effective_memory_on_each_tree()
    {
        static EffectiveMemory Read(string name)
        {
            var files = Fixture(name);
            return EffectiveMemory.Read(files, new CgroupMemory(files, CgroupLocator.Locate(files)));
        }

        var hybrid = Read("hybrid-captured");
        Assert.Null(hybrid.CgroupLimitBytes); // this machine: the v1 sentinel all the way up
        Assert.Equal(hybrid.MemTotalBytes, hybrid.EffectiveBytes);
        Assert.Equal("MemTotal", hybrid.Source);

        var v2 = Read("v2-only");
        Assert.Equal(536870912, v2.CgroupLimitBytes);
        Assert.Equal(536870912, v2.EffectiveBytes);
        Assert.Equal("cgroup limit", v2.Source);

        var v1 = Read("v1-only");
        Assert.Equal(1073741824, v1.CgroupLimitBytes); // the parent slice's limit binds the unlimited child
        Assert.Equal(1073741824, v1.EffectiveBytes);

        var none = Read("no-cgroup");
        Assert.Null(none.CgroupLimitBytes);
        Assert.Equal(948304L * 1024, none.EffectiveBytes);

        using var empty = FixtureTree.Empty();
        var unknown = EffectiveMemory.Read(new MemoryFiles(empty.Root), new CgroupMemory(new MemoryFiles(empty.Root), CgroupPaths.None));
        Assert.False(unknown.IsKnown);
        Assert.Equal(EffectiveMemory.AssumedWhenUnknownBytes, unknown.EffectiveBytes);
    }

    [Fact]
    public void V1_hierarchical_limit_from_memory_stat_wins_when_tighter()
    {
        using var tree = FixtureTree.CopyOf("v1-only");
        tree.Write("/sys/fs/cgroup/memory/system.slice/edgestore.service/memory.stat", "total_inactive_file 0\nhierarchical_memory_limit 268435456\n");
        var files = new MemoryFiles(tree.Root);

        Assert.Equal(268435456, new CgroupMemory(files, CgroupLocator.Locate(files)).ReadLimitBytes());
    }

    [Fact]
    public void Cgroup_usage_events_and_pressure_v2()
    {
        var files = Fixture("v2-only");
        var cgroup = new CgroupMemory(files, CgroupLocator.Locate(files));

        var usage = cgroup.ReadUsage(cgroup.ReadLimitBytes())!;
        Assert.Equal(301989888, usage.UsageBytes);
        Assert.Equal(104857600, usage.InactiveFileBytes);
        Assert.Equal(301989888 - 104857600, usage.WorkingSetBytes);

        Assert.Equal(new CgroupMemoryEvents(0, 17, 0, 0), cgroup.ReadEvents());
        Assert.Equal(1.5, cgroup.ReadPressure()!.SomeAvg10Percent);
    }

    [Fact]
    public void Cgroup_usage_and_events_v1()
    {
        var files = Fixture("v1-only");
        var cgroup = new CgroupMemory(files, CgroupLocator.Locate(files));

        var usage = cgroup.ReadUsage(cgroup.ReadLimitBytes())!;
        Assert.Equal(975175680, usage.UsageBytes);
        Assert.Equal(734003200, usage.InactiveFileBytes);
        Assert.Equal(1073741824, usage.LimitBytes);
        Assert.Equal(new CgroupMemoryEvents(0, 3, 0, 0), cgroup.ReadEvents());
        Assert.Null(cgroup.ReadPressure());
        Assert.Equal(new CgroupMemoryEvents(0, 9, 2, 1), CgroupMemoryEvents.ParseV1("9\n", "oom_kill_disable 0\nunder_oom 1\noom_kill 1\n"));
    }

    [Fact]
    public void Captured_hybrid_cgroup_reads_real_v1_files()
    {
        var files = Fixture("hybrid-captured");
        var cgroup = new CgroupMemory(files, CgroupLocator.Locate(files));

        Assert.Null(cgroup.ReadUsage(cgroup.ReadLimitBytes())); // no limit: usage has nothing to be measured against
        var failCount = long.Parse(files.TryReadText(cgroup.Paths.V1MemoryDirectory + "/memory.failcnt")!.Trim(), CultureInfo.InvariantCulture);
        Assert.Equal(failCount, cgroup.ReadEvents()!.Max);
        Assert.NotNull(cgroup.ReadPressure()); // the unified root's memory.pressure
        Assert.NotNull(new CgroupMemory(files, cgroup.Paths).ReadUsage(300L * 1024 * 1024));
    }

    [Fact]
    public void Captured_thrash_in_a_300_MiB_cgroup_is_critical_from_the_cgroup_psi()
    {
        var files = Fixture("hybrid-thrash-captured");
        var paths = CgroupLocator.Locate(files);
        var cgroup = new CgroupMemory(files, paths);
        var limitText = files.TryReadText(paths.V1MemoryDirectory + "/memory.limit_in_bytes")!;

        var effective = EffectiveMemory.Read(files, cgroup);
        Assert.Equal(long.Parse(limitText.Trim(), CultureInfo.InvariantCulture), effective.CgroupLimitBytes);
        Assert.Equal(effective.CgroupLimitBytes / 4 / 4096 * 4096, MmapCap.Compute(effective.EffectiveBytes));

        var sample = new MemorySampler(files, cgroup, TimeProvider.System).Take();
        var assessment = new PressureClassifier(new MemorySettings()).Classify(null, sample);

        // The file cache filled the cgroup to its limit, but almost all of it is inactive: usage is no signal.
        Assert.True(sample.CgroupUsage!.WorkingSetPercentOfLimit < 50, $"working set {sample.CgroupUsage.WorkingSetPercentOfLimit}%");
        Assert.True(sample.CgroupPressure!.FullAvg10Percent >= 5);
        Assert.Equal(MemoryPressureLevel.Critical, assessment.Level);
        Assert.StartsWith("cgroup PSI full", assessment.Reason, StringComparison.Ordinal);
    }
}
