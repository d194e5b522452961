namespace EdgeStore.Mqtt.Connection;

/// <summary>What the writer loop encodes for one queued item.</summary>
internal enum OutgoingKind : byte
{
    /// <summary>A prebuilt control packet (CONNECT, SUBSCRIBE, PINGREQ, DISCONNECT...).</summary>
    Packet,

    /// <summary>One of our PUBLISH packets.</summary>
    Publish,

    /// <summary>A consumer acknowledgement: PUBACK or PUBREC if the inbound flow still expects it.</summary>
    ConsumerAck,

    /// <summary>A consumer's acknowledgement of a PUBREL: PUBCOMP if the inbound flow still expects it.</summary>
    ConsumerRelease,

    /// <summary>PUBREC resent for a QoS 2 PUBLISH the broker repeated.</summary>
    PubRec,

    /// <summary>PUBREL after the broker's PUBREC of our QoS 2 PUBLISH.</summary>
    PubRel,

    /// <summary>PUBCOMP after the broker's PUBREL.</summary>
    PubComp,
}
