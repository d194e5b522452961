using System.Diagnostics;
using EdgeStore.Mqtt;

namespace EdgeStore.Bench.MqttClients;

/// <summary>The load: EdgeStore.Mqtt publishing QoS 1 to the broker in this process, up to 2000 publishes in
/// flight, bounded by a count and a deadline. The subscription's QoS decides the QoS of delivery.</summary>
internal static class BenchPublisher
{
    public const string Topic = "bench/dev-1/telemetry";

    /// <summary>Publishes <paramref name="count"/> messages of <paramref name="payloadBytes"/> bytes; returns how many
    /// the broker acknowledged and how long that took.</summary>
    public static async Task<(long Published, double Seconds)> PublishAsync(int port, long count, int payloadBytes, CancellationToken ct)
    {
        await using var publisher = new MqttClient(new MqttClientOptions { Port = port, ClientId = "bench-publisher", CleanStart = true });
        await publisher.StartAsync(ct);
        await publisher.WaitConnectedAsync(ct);
        // A telemetry-like JSON body padded to the requested size.
        var text = "{\"device\":\"dev-1\",\"seq\":0,\"t\":21.5,\"rh\":40.1,\"note\":\"";
        var payload = System.Text.Encoding.ASCII.GetBytes(text.PadRight(Math.Max(payloadBytes - 2, text.Length), 'x') + "\"}");
        var clock = Stopwatch.StartNew();
        var published = 0L;
        var outstanding = new Queue<Task>();
        try
        {
            for (var i = 0L; i < count && !ct.IsCancellationRequested; i++)
            {
                outstanding.Enqueue(publisher.PublishAsync(Topic, payload, MqttQualityOfService.AtLeastOnce, false, ct));
                if (outstanding.Count >= 2000)
                {
                    await outstanding.Dequeue();
                    published++;
                }
            }

            while (outstanding.Count > 0)
            {
                await outstanding.Dequeue();
                published++;
            }
        }
        catch (OperationCanceledException)
        {
            // Deadline: report what the broker acknowledged.
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await publisher.StopAsync(CancellationToken.None);
        return (published, seconds);
    }
}
