namespace EdgeStore.Mqtt;

/// <summary>An MQTT operation failed (not connected, refused by the broker, connection lost).</summary>
public class MqttException : Exception
{
    public MqttException()
    {
    }

    public MqttException(string message)
        : base(message)
    {
    }

    public MqttException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
