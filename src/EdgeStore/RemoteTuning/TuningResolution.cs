namespace EdgeStore.RemoteTuning;

/// <summary>The effective tunable values for a set of overrides, and what the hard bounds clamped on the way.</summary>
internal sealed record TuningResolution(TunedValues Effective, IReadOnlyList<ClampedSetting> Clamped);
