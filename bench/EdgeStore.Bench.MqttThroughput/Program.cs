using System.Diagnostics;
using System.Globalization;
using EdgeStore.Bench.MqttThroughput;
using EdgeStore.Mqtt;

// Prints messages/s that EdgeStore's MQTT client receives from a local mosquitto: QoS 0, and QoS 1 with acks
// batched the way storage releases them after a commit (by count or by latency), for several inflight windows.
// Publisher, broker and subscriber all run on this machine, so the figures are a floor, not a ceiling.
var count = 200_000;
var timeLimit = TimeSpan.FromSeconds(60);
var payloadBytes = 64;
int[] windows = [20, 100, 1000, 0];
for (var i = 0; i < args.Length - 1; i += 2)
{
    switch (args[i])
    {
        case "--count":
            count = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--time-limit-seconds":
            timeLimit = TimeSpan.FromSeconds(int.Parse(args[i + 1], CultureInfo.InvariantCulture));
            break;
        case "--payload-bytes":
            payloadBytes = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            break;
        case "--windows":
            windows = [.. args[i + 1].Split(',').Select(w => int.Parse(w, CultureInfo.InvariantCulture))];
            break;
        default:
            Console.Error.WriteLine("usage: EdgeStore.Bench.MqttThroughput [--count N] [--time-limit-seconds S] [--payload-bytes B] [--windows 20,100,1000,0]");
            return 2;
    }
}

Console.WriteLine($"{count} messages of {payloadBytes} bytes per run, at most {timeLimit.TotalSeconds:F0} s per run, {Environment.ProcessorCount} CPUs");

// Warm-up (JIT, tiered compilation, socket buffers) so the first printed run is not the slowest by accident.
var measured = count;
count = Math.Min(count, 20_000);
await RunAsync("warm-up (not a figure)", MqttQualityOfService.AtLeastOnce, brokerWindow: 0);
count = measured;

await RunAsync("QoS 0", MqttQualityOfService.AtMostOnce, brokerWindow: 0);
foreach (var window in windows)
{
    var label = window == 0 ? "QoS 1, batched acks, window unlimited (65535)" : $"QoS 1, batched acks, window {window}";
    await RunAsync(label, MqttQualityOfService.AtLeastOnce, window);
}

return 0;

async Task RunAsync(string label, MqttQualityOfService qos, int brokerWindow)
{
    using var broker = BenchBroker.Start(brokerWindow);
    var receiveMaximum = brokerWindow == 0 ? ushort.MaxValue : (ushort)brokerWindow;
    var received = 0L;
    var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    var pendingAcks = new List<MqttAckToken>(1024);
    var ackGate = new Lock();
    var firstReceived = 0L;
    var subscriber = new MqttClient(new MqttClientOptions
    {
        Port = broker.Port,
        ClientId = "bench-subscriber",
        CleanStart = true,
        ReceiveMaximum = receiveMaximum,
        // Mosquitto 2.0.11 does not keep to a receive maximum below 65535 after its first window.
        DisconnectOnReceiveMaximumExceeded = false,
        Subscriptions = [new MqttSubscription("bench/#", qos)],
    });
    subscriber.MessageReceived = (message, _) =>
    {
        if (Interlocked.Increment(ref received) == 1)
        {
            Interlocked.Exchange(ref firstReceived, Stopwatch.GetTimestamp());
        }

        if (message.AckToken.RequiresAck)
        {
            List<MqttAckToken>? batch = null;
            lock (ackGate)
            {
                pendingAcks.Add(message.AckToken);
                if (pendingAcks.Count >= 1000)
                {
                    batch = [.. pendingAcks];
                    pendingAcks.Clear();
                }
            }

            if (batch is not null)
            {
                subscriber!.Acknowledge(batch);
            }
        }

        if (Interlocked.Read(ref received) >= count)
        {
            done.TrySetResult();
        }

        return ValueTask.CompletedTask;
    };

    using var stop = new CancellationTokenSource(timeLimit);
    // Like a group commit by latency: whatever waited 10 ms is acknowledged even if the batch is not full.
    var ackTimer = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested && !done.Task.IsCompleted)
        {
            await Task.Delay(10);
            List<MqttAckToken> batch;
            lock (ackGate)
            {
                batch = [.. pendingAcks];
                pendingAcks.Clear();
            }

            if (batch.Count > 0)
            {
                subscriber.Acknowledge(batch);
            }
        }
    });

    await subscriber.StartAsync(CancellationToken.None);
    await subscriber.WaitConnectedAsync(stop.Token);
    var publisher = new MqttClient(new MqttClientOptions { Port = broker.Port, ClientId = "bench-publisher", CleanStart = true });
    await publisher.StartAsync(CancellationToken.None);
    await publisher.WaitConnectedAsync(stop.Token);

    var payload = new byte[payloadBytes];
    var clock = Stopwatch.StartNew();
    var publishing = Task.Run(async () =>
    {
        // Pipelined: up to 2000 publishes outstanding (QoS 1 is further bounded by the broker's receive maximum).
        var outstanding = new Queue<Task>();
        for (var i = 0; i < count && !stop.IsCancellationRequested; i++)
        {
            outstanding.Enqueue(publisher.PublishAsync("bench/dev-1/telemetry", payload, qos, false, stop.Token));
            if (outstanding.Count >= 2000)
            {
                await outstanding.Dequeue();
            }
        }

        await Task.WhenAll(outstanding);
    });

    var publishFailed = false;
    try
    {
        await publishing;
    }
    catch (OperationCanceledException)
    {
        publishFailed = true;
    }

    var publishSeconds = clock.Elapsed.TotalSeconds;
    try
    {
        await done.Task.WaitAsync(stop.Token);
    }
    catch (OperationCanceledException)
    {
        // Time limit: report what arrived.
    }

    var total = Interlocked.Read(ref received);
    var seconds = Stopwatch.GetElapsedTime(Interlocked.Read(ref firstReceived)).TotalSeconds;
    seconds = Math.Max(seconds, 1e-6);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{label,-48} received {total,8} in {seconds,6:F2} s = {total / seconds,9:N0} msg/s  (publisher {count / publishSeconds:N0} msg/s{(publishFailed ? ", hit time limit" : string.Empty)}; acks sent {subscriber.Counters.AcksSent}, window overshoot {subscriber.Counters.ReceiveMaximumExceeded}, reconnects {subscriber.Counters.Reconnects})"));
    await stop.CancelAsync();
    await ackTimer;
    await publisher.StopAsync(CancellationToken.None);
    await subscriber.StopAsync(CancellationToken.None);
}
