namespace EdgeStore.Memory;

/// <summary>How hard the host (or EdgeStore's cgroup) is pressed for memory; ordered, higher is worse.</summary>
internal enum MemoryPressureLevel
{
    Normal = 0,
    Elevated = 1,
    Critical = 2,
}
