namespace EdgeStore.Memory;

/// <summary>
/// The outcome of putting a requested mmap size through the cap: what was asked, what applies, and
/// whether it was clamped. Remote tuning publishes this in its reported state.
/// </summary>
internal sealed record MmapClampResult(string Source, long RequestedBytes, long AppliedBytes, long CapBytes)
{
    public bool Clamped => AppliedBytes != RequestedBytes;
}
