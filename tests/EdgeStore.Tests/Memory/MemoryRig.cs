using EdgeStore.Configuration;
using EdgeStore.Status;
using EdgeStore.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Memory;

/// <summary>The memory capability assembled over a writable fixture tree and a hand-moved clock.</summary>
internal sealed class MemoryRig : IDisposable
{
    public MemoryRig(string fixture, MemorySettings settings)
    {
        Tree = FixtureTree.CopyOf(fixture);
        Settings = settings;
        Clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Files = new MemoryFiles(Tree.Root);
        Paths = CgroupLocator.Locate(Files);
        var cgroup = new CgroupMemory(Files, Paths);
        CapLogger = new RecordingLogger<MmapCap>();
        Cap = new MmapCap(EffectiveMemory.Read(Files, cgroup), CapLogger);
        MonitorLogger = new RecordingLogger<MemoryPressureMonitor>();
        Monitor = new MemoryPressureMonitor(Options.Create(settings), new MemorySampler(Files, cgroup, Clock), Clock, MonitorLogger);
        Status = new DaemonStatus();
        GovernorLogger = new RecordingLogger<MmapGovernor>();
        Governor = new MmapGovernor(Monitor, Cap, Options.Create(settings), Status, new MemoryGovernanceCounters(), Files, Clock, GovernorLogger);
    }

    public FixtureTree Tree { get; }

    public MemorySettings Settings { get; }

    public FakeTimeProvider Clock { get; }

    public MemoryFiles Files { get; }

    public CgroupPaths Paths { get; }

    public MmapCap Cap { get; }

    public RecordingLogger<MmapCap> CapLogger { get; }

    public MemoryPressureMonitor Monitor { get; }

    public RecordingLogger<MemoryPressureMonitor> MonitorLogger { get; }

    public DaemonStatus Status { get; }

    public MmapGovernor Governor { get; }

    public RecordingLogger<MmapGovernor> GovernorLogger { get; }

    /// <summary>Writes the cgroup's memory.pressure (v2 fixture) with the given avg10 values and unchanged totals.</summary>
    public void CgroupPsi(double some, double full = 0) =>
        Tree.Write(Paths.V2Directory + "/memory.pressure",
            FormattableString.Invariant($"some avg10={some:0.00} avg60=0.00 avg300=0.00 total=402112\nfull avg10={full:0.00} avg60=0.00 avg300=0.00 total=90113\n"));

    /// <summary>Advances the clock by one poll interval and polls.</summary>
    public MemoryPressureChange? Tick()
    {
        Clock.Advance(Settings.PollInterval);
        return Monitor.Poll();
    }

    public void Dispose()
    {
        Governor.Dispose();
        Monitor.Dispose();
        Tree.Dispose();
    }
}
