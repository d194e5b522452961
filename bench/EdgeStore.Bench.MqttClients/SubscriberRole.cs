using System.Diagnostics;
using System.Globalization;
using EdgeStore.Mqtt;

namespace EdgeStore.Bench.MqttClients;

/// <summary>
/// The child process that hosts one client, so that its RssAnon and CPU time are its own. Started by
/// <see cref="SubscriberProcess"/>; talks over stdin/stdout in lines:
/// out <c>READY</c> once subscribed; in <c>SAMPLE</c>, out <c>SAMPLE ...</c> (live heap after a full GC, RssAnon and
/// peaks); in <c>RELEASE</c> opens a held handler; out <c>DONE ...</c> when every message arrived or the time limit
/// passed, then it exits.
/// </summary>
internal static class SubscriberRole
{
    public static async Task<int> RunAsync(string client, int port, MqttQualityOfService qos, long warmup, long count, bool hold, TimeSpan timeLimit)
    {
        using var deadline = new CancellationTokenSource(timeLimit);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!hold)
        {
            release.SetResult();
        }

        var total = warmup + count;
        var received = 0L;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long startTimestamp = 0, endTimestamp = 0;
        TimeSpan startCpu = TimeSpan.Zero, endCpu = TimeSpan.Zero;
        long peakRssAnonKiB = 0, peakHeapBytes = 0;

        // Peaks sampled every 50 ms; reading /proc/self/status and the GC's counter is cheap next to a message flood.
        using var sampler = new Timer(_ =>
        {
            InterlockedMax(ref peakRssAnonKiB, ProcessMemory.RssAnonKiB());
            InterlockedMax(ref peakHeapBytes, GC.GetTotalMemory(forceFullCollection: false));
        }, null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));

        await using var subscriber = SubscriberClient.Create(client);
        await subscriber.StartAsync(port, qos, async payloadLength =>
        {
            if (!release.Task.IsCompleted)
            {
                await release.Task;
            }

            var n = Interlocked.Increment(ref received);
            // Measured from the message after the warm-up (or the first one) to the last.
            if (n == Math.Max(warmup, 1))
            {
                startCpu = Process.GetCurrentProcess().TotalProcessorTime;
                startTimestamp = Stopwatch.GetTimestamp();
            }

            if (n == total)
            {
                endCpu = Process.GetCurrentProcess().TotalProcessorTime;
                endTimestamp = Stopwatch.GetTimestamp();
                done.TrySetResult();
            }
        }, deadline.Token);
        Console.WriteLine("READY");

        var commands = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync(deadline.Token) is { } line)
            {
                switch (line)
                {
                    case "SAMPLE":
                        var liveHeap = GC.GetTotalMemory(forceFullCollection: true);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"SAMPLE heapBytes={liveHeap} rssAnonKiB={ProcessMemory.RssAnonKiB()} peakRssAnonKiB={Interlocked.Read(ref peakRssAnonKiB)} peakHeapBytes={Interlocked.Read(ref peakHeapBytes)} received={Interlocked.Read(ref received)}"));
                        break;
                    case "RELEASE":
                        release.TrySetResult();
                        break;
                }
            }
        });

        try
        {
            await done.Task.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            // Time limit: report what arrived.
        }

        var measured = endTimestamp == 0 ? 0 : total - Math.Max(warmup, 1);
        var seconds = endTimestamp == 0 ? 0 : Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"DONE received={Interlocked.Read(ref received)} measured={measured} seconds={seconds:F3} cpuSeconds={(endCpu - startCpu).TotalSeconds:F3} peakRssAnonKiB={Interlocked.Read(ref peakRssAnonKiB)} peakHeapBytes={Interlocked.Read(ref peakHeapBytes)}"));
        _ = commands;
        return 0;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
