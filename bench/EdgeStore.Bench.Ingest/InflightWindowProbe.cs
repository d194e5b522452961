using System.Diagnostics;
using EdgeStore.Mqtt;

namespace EdgeStore.Bench.Ingest;

/// <summary>
/// Measures the inflight window mosquitto actually grants a subscriber: a subscriber that never acknowledges
/// counts how many QoS 1 messages arrive before the broker stops sending. That number is the ceiling on what
/// ack-after-commit can hold in flight, per broker setting and per client protocol / receive maximum.
/// </summary>
internal static class InflightWindowProbe
{
    private const int Offered = 3_000;

    /// <param name="queuedWhileOffline">
    /// False: the subscriber is connected while the messages are published. True: its persistent session is offline
    /// while they are published, and it reconnects afterwards (a daemon restart draining its backlog).
    /// </param>
    public static async Task<int> MeasureAsync(int brokerInflight, MqttProtocolVersion version, ushort receiveMaximum, bool queuedWhileOffline)
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-window-").FullName;
        try
        {
            await using var broker = await BenchBroker.StartAsync(directory, brokerInflight);
            var received = 0;
            MqttClient Subscriber() => new(new MqttClientOptions
            {
                Port = broker.Port,
                ClientId = "window-probe-subscriber",
                ProtocolVersion = version,
                CleanStart = false,
                ReceiveMaximum = receiveMaximum,
                Subscriptions = [new MqttSubscription("probe/#", MqttQualityOfService.AtLeastOnce)],
            })
            {
                // Never acknowledged: the broker's window fills and it stops sending.
                MessageReceived = (_, _) =>
                {
                    Interlocked.Increment(ref received);
                    return ValueTask.CompletedTask;
                },
            };

            var subscriber = Subscriber();
            await subscriber.StartAsync(CancellationToken.None);
            using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                await subscriber.WaitConnectedAsync(connect.Token);
            }

            if (queuedWhileOffline)
            {
                await subscriber.StopAsync(CancellationToken.None);
                await subscriber.DisposeAsync();
            }

            await using (var publisher = new MqttClient(new MqttClientOptions
            {
                Port = broker.Port,
                ClientId = "window-probe-publisher",
                ProtocolVersion = MqttProtocolVersion.V311,
                CleanStart = true,
            }))
            {
                await publisher.StartAsync(CancellationToken.None);
                using var publish = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await publisher.WaitConnectedAsync(publish.Token);
                var payload = "{\"seq\":1}"u8.ToArray();
                await Task.WhenAll(Enumerable.Range(0, Offered).Select(
                    i => publisher.PublishAsync($"probe/{i % 100}", payload, MqttQualityOfService.AtLeastOnce, retain: false, publish.Token)));
                await publisher.StopAsync(publish.Token);
            }

            if (queuedWhileOffline)
            {
                subscriber = Subscriber();
                await subscriber.StartAsync(CancellationToken.None);
            }

            await using var connected = subscriber;

            // Settled: no new message for a second (bounded to 15 s).
            var clock = Stopwatch.StartNew();
            var last = -1;
            var stableSince = clock.Elapsed;
            while (clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                await Task.Delay(100);
                var now = Volatile.Read(ref received);
                if (now != last)
                {
                    last = now;
                    stableSince = clock.Elapsed;
                }
                else if (clock.Elapsed - stableSince > TimeSpan.FromSeconds(1))
                {
                    break;
                }
            }

            return Volatile.Read(ref received);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    public static async Task PrintAsync()
    {
        Console.WriteLine($"Inflight window granted by mosquitto to a subscriber that never acknowledges ({Offered} QoS 1 messages offered):");
        Console.WriteLine("| broker max_inflight_messages | subscriber session | subscriber | messages in flight |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (inflight, queued) in new[] { (20, false), (1000, false), (0, false), (20, true), (1000, true) })
        {
            foreach (var (version, receiveMaximum, label) in new[]
            {
                (MqttProtocolVersion.V311, ushort.MaxValue, "MQTT 3.1.1"),
                (MqttProtocolVersion.V500, ushort.MaxValue, "MQTT 5, receive maximum 65535 (default, not sent)"),
                (MqttProtocolVersion.V500, (ushort)65000, "MQTT 5, receive maximum 65000 (sent)"),
                (MqttProtocolVersion.V500, (ushort)100, "MQTT 5, receive maximum 100 (sent)"),
            })
            {
                var window = await MeasureAsync(inflight, version, receiveMaximum, queued);
                Console.WriteLine($"| {(inflight == 0 ? "0 (unlimited)" : inflight.ToString(System.Globalization.CultureInfo.InvariantCulture))} | {(queued ? "queued while offline, then reconnects" : "connected")} | {label} | {window} |");
            }
        }
    }
}
