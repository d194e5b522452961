namespace EdgeStore.Decoding;

/// <summary>What the decoder learned from one payload; the payload bytes themselves are always stored unchanged.</summary>
internal readonly record struct DecodedPayload(PayloadKind Kind, long? DeviceTimestampUnixMs, long? DeviceSequence, string? QuarantineReason);
