using EdgeStore.Memory;

namespace EdgeStore.Maintenance;

/// <summary>What a window hands back: the mmap limit the memory governor wants now, or 0 in storage-safe mode.</summary>
internal sealed class GovernorMmapLimitSource : IMmapLimitSource
{
    private readonly MmapGovernor _governor;
    private readonly StorageSafeMode? _safeMode;

    public GovernorMmapLimitSource(MmapGovernor governor, StorageSafeMode? safeMode = null)
    {
        _governor = governor;
        _safeMode = safeMode;
    }

    public long CurrentLimitBytes => _safeMode is { IsActive: true } ? 0 : _governor.Wanted.MmapSizeBytes;
}
