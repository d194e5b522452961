using EdgeStore.Memory;
using EdgeStore.Safety;

namespace EdgeStore.Maintenance;

/// <summary>
/// The mmap limit a window hands back when it leaves: what the memory governor wants right now (the daemon) or a
/// fixed, already capped limit (a host without memory governance), and 0 in either case while storage-safe mode holds.
/// </summary>
internal sealed class MmapRestoreLimit
{
    private readonly Func<long> _wantedBytes;
    private readonly StorageSafeMode? _safeMode;

    private MmapRestoreLimit(Func<long> wantedBytes, StorageSafeMode? safeMode)
    {
        _wantedBytes = wantedBytes;
        _safeMode = safeMode;
    }

    public long CurrentLimitBytes => _safeMode is { IsActive: true } ? 0 : _wantedBytes();

    /// <summary>The configured (already capped) limit.</summary>
    public static MmapRestoreLimit Fixed(long capBytes, StorageSafeMode? safeMode = null) => new(() => capBytes, safeMode);

    /// <summary>The limit the memory governor wants now; it follows pressure and remote tuning.</summary>
    public static MmapRestoreLimit FromGovernor(MmapGovernor governor, StorageSafeMode? safeMode = null)
    {
        ArgumentNullException.ThrowIfNull(governor);
        return new(() => governor.Wanted.MmapSizeBytes, safeMode);
    }
}
