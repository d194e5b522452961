namespace EdgeStore.Memory;

/// <summary>Takes one <see cref="MemorySample"/>: every source, each read independently, through <see cref="MemoryFiles"/>.</summary>
internal sealed class MemorySampler
{
    private readonly MemoryFiles _files;
    private readonly CgroupMemory _cgroup;
    private readonly TimeProvider _timeProvider;

    public MemorySampler(MemoryFiles files, CgroupMemory cgroup, TimeProvider timeProvider)
    {
        _files = files;
        _cgroup = cgroup;
        _timeProvider = timeProvider;
    }

    public MemorySample Take()
    {
        // The limit is read on every poll: an operator may change it at run time (systemctl set-property).
        var limit = _cgroup.ReadLimitBytes();
        return new MemorySample(
            _timeProvider.GetUtcNow(),
            MemInfo.Parse(_files.TryReadText(MemInfo.SystemPath)),
            PressureStall.Parse(_files.TryReadText(PressureStall.SystemPath)),
            _cgroup.ReadPressure(),
            _cgroup.ReadEvents(),
            _cgroup.ReadUsage(limit));
    }
}
