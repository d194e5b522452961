namespace EdgeStore.Mqtt.Connection;

/// <summary>What the receive loop does with an inbound QoS 1/2 PUBLISH.</summary>
internal enum InboundPublishAction
{
    Deliver,
    ResendPubRec,

    /// <summary>The id is released (PUBREL) but not completed yet: the broker broke the protocol.</summary>
    ReusedBeforePubComp,
}
