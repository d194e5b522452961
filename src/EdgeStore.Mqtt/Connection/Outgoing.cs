using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Connection;

/// <summary>One item of the writer loop's queue. A struct so queuing an acknowledgement allocates nothing.</summary>
internal readonly record struct Outgoing(
    OutgoingKind Kind,
    ushort PacketId = 0,
    MqttQualityOfService Qos = MqttQualityOfService.AtMostOnce,
    MqttPacket? Packet = null,
    MqttApplicationMessage? Message = null,
    TaskCompletionSource? Written = null);
