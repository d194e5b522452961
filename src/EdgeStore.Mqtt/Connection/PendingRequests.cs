using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Connection;

/// <summary>
/// Our packets that wait for the broker's answer (PUBACK/PUBCOMP, SUBACK, UNSUBACK), keyed by the packet ids we
/// allocate. When the connection dies every waiter fails at once, so no caller hangs on a dead socket.
/// </summary>
internal sealed class PendingRequests
{
    private readonly Dictionary<ushort, TaskCompletionSource<MqttPacket>> _waiting = [];
    private readonly Lock _gate = new();
    private ushort _lastId;
    private Exception? _closed;

    /// <summary>Allocates a free packet id and registers a waiter for its answer.</summary>
    public (ushort PacketId, Task<MqttPacket> Answer) Register()
    {
        var completion = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_closed is not null)
            {
                throw new MqttException("the MQTT connection is closed", _closed);
            }

            if (_waiting.Count >= ushort.MaxValue)
            {
                throw new MqttException("all 65535 packet identifiers are in use");
            }

            do
            {
                _lastId = _lastId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastId + 1);
            }
            while (_waiting.ContainsKey(_lastId));

            _waiting.Add(_lastId, completion);
            return (_lastId, completion.Task);
        }
    }

    /// <summary>Completes the waiter for <paramref name="packetId"/>; false when nobody waits for it.</summary>
    public bool Complete(ushort packetId, MqttPacket answer)
    {
        TaskCompletionSource<MqttPacket>? completion;
        lock (_gate)
        {
            if (!_waiting.Remove(packetId, out completion))
            {
                return false;
            }
        }

        completion.TrySetResult(answer);
        return true;
    }

    public bool IsWaiting(ushort packetId)
    {
        lock (_gate)
        {
            return _waiting.ContainsKey(packetId);
        }
    }

    public void Forget(ushort packetId)
    {
        lock (_gate)
        {
            _waiting.Remove(packetId);
        }
    }

    public void FailAll(Exception reason)
    {
        List<TaskCompletionSource<MqttPacket>> failed;
        lock (_gate)
        {
            _closed = reason;
            failed = [.. _waiting.Values];
            _waiting.Clear();
        }

        foreach (var completion in failed)
        {
            completion.TrySetException(reason);
        }
    }
}
