using System.Buffers;
using System.Runtime.InteropServices;

namespace EdgeStore.Mqtt;

/// <summary>Where a rented payload (<see cref="MqttApplicationMessage.PayloadRented"/>) goes back when its consumer is done with it.</summary>
public static class MqttPayloadPool
{
    /// <summary>
    /// Returns the array behind <paramref name="payload"/> to <see cref="ArrayPool{T}.Shared"/>. Call once per rented
    /// payload, after the last read of it; a payload that is not an array (or empty) is ignored.
    /// </summary>
    public static void Return(ReadOnlyMemory<byte> payload)
    {
        if (MemoryMarshal.TryGetArray(payload, out var segment) && segment.Array is { Length: > 0 } array)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
