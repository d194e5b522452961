namespace EdgeStore.Mqtt;

/// <summary>
/// Gives the receive loop <paramref name="length"/> bytes (1 to 4 KiB) to copy a received payload into, instead of a
/// new array per message. <paramref name="owner"/> travels with the message as
/// <see cref="MqttApplicationMessage.PayloadOwner"/>, so the consumer can hand the memory back once nothing reads the
/// payload any more. Called from the receive loops of the client's connections, which may overlap while one closes.
/// </summary>
public delegate Memory<byte> MqttPayloadAllocator(int length, out object? owner);
