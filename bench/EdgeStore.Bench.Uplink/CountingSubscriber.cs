using System.Diagnostics;
using EdgeStore.Mqtt;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// Counts what arrives under `gateways/#` on the upstream broker, in this process, with EdgeStore's own MQTT client
/// (MQTT 5, receive maximum 65535). At QoS 0 (the default) the broker keeps no window towards it, so it cannot be what
/// limits a measured rate; at QoS 1 it acknowledges every message at once.
/// </summary>
internal sealed class CountingSubscriber : IAsyncDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    private readonly MqttClient _client;
    private long _received;
    private long _first;
    private long _last;

    private CountingSubscriber(int port, int qos)
    {
        _client = new MqttClient(new MqttClientOptions
        {
            Port = port,
            ClientId = "bench-counting-subscriber",
            CleanStart = true,
            DisconnectOnReceiveMaximumExceeded = false,
            Subscriptions = [new MqttSubscription("gateways/#", qos == 0 ? MqttQualityOfService.AtMostOnce : MqttQualityOfService.AtLeastOnce)],
        })
        {
            MessageReceived = OnMessage,
        };
    }

    public long Received => Interlocked.Read(ref _received);

    /// <summary>Stopwatch timestamp of the first message, 0 before it.</summary>
    public long FirstTimestamp => Interlocked.Read(ref _first);

    /// <summary>Stopwatch timestamp of the latest message, 0 before the first.</summary>
    public long LastTimestamp => Interlocked.Read(ref _last);

    public static async Task<CountingSubscriber> StartAsync(int port, int qos)
    {
        var subscriber = new CountingSubscriber(port, qos);
        await subscriber._client.StartAsync(CancellationToken.None);
        using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await subscriber._client.WaitConnectedAsync(connect.Token);
        return subscriber;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> messages arrived (true), nothing arrived for <paramref name="stall"/> after the
    /// first one, or <paramref name="timeout"/> passed (false).
    /// </summary>
    public async Task<bool> WaitForAsync(long count, TimeSpan stall, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Received < count)
        {
            var last = LastTimestamp;
            if (clock.Elapsed > timeout || (last != 0 && Stopwatch.GetElapsedTime(last) > stall))
            {
                return false;
            }

            await Task.Delay(Poll);
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _client.StopAsync(CancellationToken.None);
        await _client.DisposeAsync();
    }

    private ValueTask OnMessage(MqttApplicationMessage message, CancellationToken ct)
    {
        var now = Stopwatch.GetTimestamp();
        Interlocked.CompareExchange(ref _first, now, 0);
        Interlocked.Exchange(ref _last, now);
        Interlocked.Increment(ref _received);
        if (message.AckToken.RequiresAck)
        {
            _client.Acknowledge(message.AckToken);
        }

        return ValueTask.CompletedTask;
    }
}
