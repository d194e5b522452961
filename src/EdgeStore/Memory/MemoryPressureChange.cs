namespace EdgeStore.Memory;

/// <summary>A change of the level in force (after hysteresis), with the signal that decided the new level.</summary>
internal sealed record MemoryPressureChange(MemoryPressureLevel Previous, MemoryPressureLevel Current, string Reason, DateTimeOffset At);
