namespace EdgeStore.Storage;

/// <summary>One row of <c>ack_ledger</c>: the QoS, the commit position and whether its QoS 1 PUBACK was released.</summary>
internal readonly record struct LedgerRecord(byte Qos, long Seq, bool Acked);
