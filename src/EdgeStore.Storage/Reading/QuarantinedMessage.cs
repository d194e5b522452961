namespace EdgeStore.Storage;

/// <summary>One quarantined message: the broker's topic and bytes as received, and why decoding refused it.</summary>
public sealed record QuarantinedMessage(long Id, string Topic, DateTimeOffset ReceivedAt, string Reason, byte[] Payload);
