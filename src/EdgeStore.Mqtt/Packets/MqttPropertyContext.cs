namespace EdgeStore.Mqtt.Packets;

/// <summary>Where a property block sits: decides which property ids are legal there (MQTT 5 §2.2.2.2 table).</summary>
internal enum MqttPropertyContext : byte
{
    Connect,
    Will,
    ConnAck,
    Publish,
    PublishResponse,
    Subscribe,
    SubAck,
    Unsubscribe,
    UnsubAck,
    Disconnect,
    Auth,
}
