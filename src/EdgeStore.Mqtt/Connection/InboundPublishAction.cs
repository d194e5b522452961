namespace EdgeStore.Mqtt.Connection;

/// <summary>What the receive loop does with an inbound QoS 1/2 PUBLISH.</summary>
internal enum InboundPublishAction
{
    Deliver,
    ResendPubRec,
}
