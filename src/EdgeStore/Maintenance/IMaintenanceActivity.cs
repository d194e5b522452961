namespace EdgeStore.Maintenance;

/// <summary>
/// Lets the memory governor see that a window holds every connection at mmap 0: while
/// <see cref="HoldsMmapAtZero"/> is true it must not raise mmap_size (lowering is always fine). Limit changes go
/// through <see cref="ApplyLimitsAsync"/>, under the same lock the coordinator takes when a window takes the process
/// to mmap 0 and when it hands back, so a governor push can never slip in between (see
/// <see cref="MaintenanceAwareMemoryLimitTarget"/>). The coordinator asks <see cref="IMmapLimitSource"/> for the limit when it hands back.
/// </summary>
internal interface IMaintenanceActivity
{
    bool HoldsMmapAtZero { get; }

    /// <summary>Runs <paramref name="apply"/> under the window lock; its argument says whether a window holds mmap at 0.</summary>
    Task<T> ApplyLimitsAsync<T>(Func<bool, Task<T>> apply, CancellationToken ct);
}
