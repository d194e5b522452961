namespace EdgeStore.Maintenance;

/// <summary>The configured (already capped) mmap limit, forced to 0 while storage-safe mode holds.</summary>
internal sealed class ConfiguredMmapLimitSource : IMmapLimitSource
{
    private readonly long _capBytes;
    private readonly StorageSafeMode? _safeMode;

    public ConfiguredMmapLimitSource(long capBytes, StorageSafeMode? safeMode = null)
    {
        _capBytes = capBytes;
        _safeMode = safeMode;
    }

    public long CurrentLimitBytes => _safeMode is { IsActive: true } ? 0 : _capBytes;
}
