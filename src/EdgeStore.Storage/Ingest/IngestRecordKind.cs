namespace EdgeStore.Storage;

/// <summary>What an <see cref="IngestRecord"/> asks the writer to do.</summary>
public enum IngestRecordKind : byte
{
    /// <summary>Store a message (or quarantine it), unless it is a recognised redelivery.</summary>
    Message = 0,

    /// <summary>Forget a QoS 2 packet id (PUBREL arrived); its ack tag releases the PUBCOMP.</summary>
    Release = 1,

    /// <summary>Forget every recorded packet id: the broker's session is new.</summary>
    NewSession = 2,

    /// <summary>A connection resumed the broker's session: the broker now resends what it holds, in its original order.</summary>
    SessionResumed = 3,
}
