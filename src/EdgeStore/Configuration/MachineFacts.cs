using EdgeStore.Memory;

namespace EdgeStore.Configuration;

/// <summary>
/// The facts about the machine that configuration defaults depend on, gathered in one place so tests can state them:
/// the host name (default `Node:Id`) and the memory that bounds mmap (docs/ARCHITECTURE.md, C2). The memory is read the way the
/// daemon's memory capability reads it (<see cref="EffectiveMemory"/>: MemTotal and the cgroup limit), and the cap is
/// <see cref="MmapCap.Compute"/>, so `edgestore config show` and `edgestore run` cannot disagree about it.
/// </summary>
internal sealed record MachineFacts(string HostName, long? MemTotalBytes, long? CgroupLimitBytes = null)
{
    public EffectiveMemory Memory => new(MemTotalBytes, CgroupLimitBytes);

    /// <summary>The hard bound on mmap_size: 25% of effective RAM, at most SQLite's ceiling.</summary>
    public long MmapCapBytes => MmapCap.Compute(Memory.EffectiveBytes);

    /// <summary>This machine, with /proc and /sys read under <paramref name="filesRoot"/> (`Memory:FilesRoot`).</summary>
    public static MachineFacts Read(string filesRoot = "/")
    {
        var files = new MemoryFiles(filesRoot);
        var memory = EffectiveMemory.Read(files, new CgroupMemory(files, CgroupLocator.Locate(files)));
        return new MachineFacts(Environment.MachineName, memory.MemTotalBytes, memory.CgroupLimitBytes);
    }
}
