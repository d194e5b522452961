namespace EdgeStore.Mqtt;

/// <summary>When the broker sends retained messages for a subscription (MQTT 5 subscription option; 3.1.1 always
/// sends them).</summary>
public enum MqttRetainHandling : byte
{
    /// <summary>Send retained messages whenever the subscription is made (the 3.1.1 behaviour).</summary>
    SendAtSubscribe = 0,

    /// <summary>Send them only when the subscription did not exist yet, so resubscribing a persistent session after a
    /// reconnect does not bring the retained messages again.</summary>
    SendIfNewSubscription = 1,

    /// <summary>Never send retained messages for this subscription.</summary>
    DoNotSend = 2,
}
