namespace EdgeStore.Memory;

/// <summary>The level one sample indicates (before hysteresis) and the signal that decided it, for the log line.</summary>
internal sealed record PressureAssessment(MemoryPressureLevel Level, string Reason)
{
    public static PressureAssessment Normal { get; } = new(MemoryPressureLevel.Normal, "no signal above its threshold");
}
