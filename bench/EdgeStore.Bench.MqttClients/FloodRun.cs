using System.Globalization;
using EdgeStore.Mqtt;
using EdgeStore.Testing;

namespace EdgeStore.Bench.MqttClients;

/// <summary>
/// Figure 1, back-pressure: the subscriber's handler holds the first message while the publisher floods. A client
/// that stops reading leaves the messages queued in the broker (bounded there by max_queued_messages); a client
/// that keeps reading holds them in its own heap. Sampled in the subscriber's process once the publisher is done and
/// the subscriber's RssAnon has settled; then the handler is released and the backlog drained.
/// </summary>
internal static class FloodRun
{
    public static async Task RunAsync(string client, MqttQualityOfService qos, BenchOptions options)
    {
        using var broker = BenchBrokers.Start();
        await using var subscriber = SubscriberProcess.Start(client, broker.Port, qos, warmup: 0, options.Count, hold: true, options.TimeLimit);
        await subscriber.WaitForAsync("READY", TimeSpan.FromSeconds(30));
        await subscriber.SendAsync("SAMPLE");
        var before = await subscriber.WaitForAsync("SAMPLE", TimeSpan.FromSeconds(30));

        using var deadline = new CancellationTokenSource(options.TimeLimit);
        var (published, publishSeconds) = await BenchPublisher.PublishAsync(broker.Port, options.Count, options.PayloadBytes, deadline.Token);

        // The subscriber may still be reading what the broker wrote: wait until its RssAnon holds still for 1 s (at most 15 s).
        var last = -1L;
        var stableSince = DateTime.UtcNow;
        var settleLimit = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < settleLimit && DateTime.UtcNow - stableSince < TimeSpan.FromSeconds(1))
        {
            await Task.Delay(100);
            var now = ProcessMemory.RssAnonKiB(subscriber.ProcessId.ToString(CultureInfo.InvariantCulture));
            if (Math.Abs(now - last) > 256)
            {
                last = now;
                stableSince = DateTime.UtcNow;
            }
        }

        var brokerRssAnonKiB = ProcessMemory.RssAnonKiB(broker.ProcessId?.ToString(CultureInfo.InvariantCulture) ?? "0");
        await subscriber.SendAsync("SAMPLE");
        var held = await subscriber.WaitForAsync("SAMPLE", TimeSpan.FromSeconds(30));
        await subscriber.SendAsync("RELEASE");
        var done = await subscriber.WaitForAsync("DONE", options.TimeLimit + TimeSpan.FromSeconds(10));

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {client,-9} QoS {(int)qos}: published {published:N0} in {publishSeconds:F1} s; handler held: live heap {Mib(before["heapBytes"])} -> {Mib(held["heapBytes"])} MiB, RssAnon {Kib(before["rssAnonKiB"])} -> {Kib(held["rssAnonKiB"])} MiB (peak {Kib(held["peakRssAnonKiB"])}), broker RssAnon {Kib(brokerRssAnonKiB)} MiB; released: received {done["received"]:N0}, peak RssAnon {Kib(done["peakRssAnonKiB"])} MiB, peak heap {Mib(done["peakHeapBytes"])} MiB"));
    }

    private static string Mib(double bytes) => (bytes / 1024 / 1024).ToString("F1", CultureInfo.InvariantCulture);

    private static string Kib(double kib) => (kib / 1024).ToString("F1", CultureInfo.InvariantCulture);
}
