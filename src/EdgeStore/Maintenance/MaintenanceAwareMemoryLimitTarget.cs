using EdgeStore.Memory;

namespace EdgeStore.Maintenance;

/// <summary>
/// Wraps the memory governor's limit target so that a push during a maintenance window keeps mmap at 0 (docs/ARCHITECTURE.md, C3
/// over C2): the cache size still follows pressure, the mapping does not come back until the window hands back.
/// Pushes run under the window lock, so none lands between the coordinator's "mmap 0" and its hand-back.
/// </summary>
internal sealed class MaintenanceAwareMemoryLimitTarget : IMemoryLimitTarget
{
    private readonly IMemoryLimitTarget _inner;
    private readonly MaintenanceAttachment _maintenance;

    public MaintenanceAwareMemoryLimitTarget(IMemoryLimitTarget inner, MaintenanceAttachment maintenance)
    {
        _inner = inner;
        _maintenance = maintenance;
    }

    public async ValueTask<MemoryLimitsOutcome> ApplyAsync(MemoryLimits limits, CancellationToken ct) =>
        await _maintenance.ApplyLimitsAsync(
            holdsMmapAtZero => _inner.ApplyAsync(holdsMmapAtZero ? limits with { MmapSizeBytes = 0 } : limits, ct).AsTask(),
            ct);
}
