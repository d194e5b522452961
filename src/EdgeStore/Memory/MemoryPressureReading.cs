namespace EdgeStore.Memory;

/// <summary>The latest poll: what was read and what it indicated before hysteresis (for status and metrics).</summary>
internal sealed record MemoryPressureReading(MemorySample Sample, PressureAssessment Assessment);
