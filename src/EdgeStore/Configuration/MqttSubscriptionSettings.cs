namespace EdgeStore.Configuration;

/// <summary>One entry of `Mqtt:Subscriptions`: `{ "Filter": "sensors/#", "Qos": 1 }`.</summary>
internal sealed class MqttSubscriptionSettings
{
    public string? Filter { get; set; }

    public int Qos { get; set; } = 1;
}
