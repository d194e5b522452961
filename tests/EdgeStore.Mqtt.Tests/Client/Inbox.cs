using System.Collections.Concurrent;
using System.Threading.Channels;

namespace EdgeStore.Mqtt.Tests.Client;

/// <summary>Collects what a client receives; tests wait on it with generous timeouts instead of sleeping.</summary>
internal sealed class Inbox
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Channel<MqttApplicationMessage> _messages = Channel.CreateUnbounded<MqttApplicationMessage>();

    public ConcurrentQueue<MqttApplicationMessage> All { get; } = new();

    public ValueTask Receive(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        All.Enqueue(message);
        _messages.Writer.TryWrite(message);
        return ValueTask.CompletedTask;
    }

    public async Task<MqttApplicationMessage> NextAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? Patience);
        try
        {
            return await _messages.Reader.ReadAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no message within {(timeout ?? Patience).TotalSeconds} s (received {All.Count} so far)");
        }
    }

    public async Task<List<MqttApplicationMessage>> TakeAsync(int count, TimeSpan? timeout = null)
    {
        var taken = new List<MqttApplicationMessage>(count);
        while (taken.Count < count)
        {
            taken.Add(await NextAsync(timeout));
        }

        return taken;
    }

    public bool TryTake(out MqttApplicationMessage? message) => _messages.Reader.TryRead(out message);
}
