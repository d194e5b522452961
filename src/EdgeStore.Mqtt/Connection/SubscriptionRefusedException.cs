namespace EdgeStore.Mqtt.Connection;

/// <summary>The broker refused some configured subscriptions; the subscribe retry pipeline handles exactly this.</summary>
internal sealed class SubscriptionRefusedException : Exception
{
    public SubscriptionRefusedException(IReadOnlyList<string> filters)
        : base($"broker refused subscription to {string.Join(", ", filters)}")
    {
    }
}
