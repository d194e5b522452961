namespace EdgeStore.Maintenance;

/// <summary>
/// Lets the memory governor see that a window holds every connection at mmap 0: while
/// <see cref="HoldsMmapAtZero"/> is true it must not raise mmap_size (lowering is always fine);
/// the coordinator asks <see cref="IMmapLimitSource"/> for the limit when it hands back.
/// </summary>
internal interface IMaintenanceActivity
{
    bool HoldsMmapAtZero { get; }
}
