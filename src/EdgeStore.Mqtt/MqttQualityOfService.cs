namespace EdgeStore.Mqtt;

/// <summary>Delivery guarantee of a PUBLISH or a subscription.</summary>
public enum MqttQualityOfService : byte
{
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}
