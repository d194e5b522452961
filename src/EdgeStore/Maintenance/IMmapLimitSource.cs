namespace EdgeStore.Maintenance;

/// <summary>
/// The mmap limit the rest of the process should run with when maintenance hands connections back:
/// what the memory governor allows right now (the lead wires the governor in; the default returns
/// the configured cap, or 0 in storage-safe mode).
/// </summary>
internal interface IMmapLimitSource
{
    long CurrentLimitBytes { get; }
}
