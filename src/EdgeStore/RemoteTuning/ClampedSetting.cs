namespace EdgeStore.RemoteTuning;

/// <summary>A setting applied lower than asked because a hard bound holds whatever a document says (reported in `clamped`).</summary>
internal sealed record ClampedSetting(string Path, long Requested, long Applied, string Reason);
