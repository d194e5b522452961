using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeStore.Mqtt;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// The broker's ceiling beside a drain: a publisher that stores nothing sends the same number of QoS 1 messages, of
/// the uplink's size (the same payloads, `gateways/bench/sensors/...` topics and, for the in-process publisher, the
/// same three MQTT 5 user properties), through a fresh upstream broker with the same settings to the same kind of
/// counting subscriber.
/// </summary>
internal sealed class BrokerCeilingRun(UplinkBenchOptions options, int messages, int? brokerInflight)
{
    public const string InProcess = "EdgeStore.Mqtt in-process";
    public const string MosquittoPub = "mosquitto_pub -l";
    public const string Mqttnet = "MQTTnet 5.2 in-process";

    /// <summary>What the in-process publisher keeps outstanding at most, like the uplink's default Uplink:MaxInFlight.</summary>
    private const int MaxOutstanding = 1000;

    /// <summary>How far mosquitto_pub's input runs ahead of the subscriber.</summary>
    private const int MaxLinesAhead = 20_000;

    public async Task<CeilingResult> RunAsync(string publisher)
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-upbench-").FullName;
        try
        {
            await using var upstream = await BenchBroker.StartAsync(directory, "upstream", brokerInflight);
            await using var subscriber = await CountingSubscriber.StartAsync(upstream.Port, options.SubscriberQos);
            var processes = new Dictionary<string, int>
            {
                ["upstream broker"] = upstream.ProcessId,
                ["bench (subscriber" + (publisher is InProcess or Mqttnet ? " + publisher)" : ")")] = Environment.ProcessId,
            };
            var cpuAtStart = processes.ToDictionary(p => p.Key, p => ProcFs.ReadProcessCpu(p.Value) ?? TimeSpan.Zero);
            ChildProcess? child = null;
            try
            {
                Task publishing;
                if (publisher == InProcess)
                {
                    publishing = PublishInProcessAsync(upstream.Port);
                }
                else if (publisher == Mqttnet)
                {
                    publishing = PublishWithMqttnetAsync(upstream.Port);
                }
                else
                {
                    child = StartMosquittoPub(upstream.Port);
                    processes["mosquitto_pub"] = child.ProcessId;
                    cpuAtStart["mosquitto_pub"] = TimeSpan.Zero;
                    publishing = WriteLinesAsync(child, subscriber);
                }

                var complete = await subscriber.WaitForAsync(messages, stall: TimeSpan.FromSeconds(20), options.Timeout);
                var cpu = processes.ToDictionary(p => p.Key, p => (ProcFs.ReadProcessCpu(p.Value) ?? TimeSpan.Zero) - cpuAtStart[p.Key]);
                await publishing.WaitAsync(TimeSpan.FromSeconds(30));
                var last = subscriber.LastTimestamp;
                return new CeilingResult(
                    publisher,
                    brokerInflight,
                    messages,
                    subscriber.Received,
                    complete,
                    last == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(subscriber.FirstTimestamp, last),
                    cpu);
            }
            finally
            {
                if (child is not null)
                {
                    await child.StopAsync(TimeSpan.FromSeconds(10));
                    child.Dispose();
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// The uplink's own library, publishing exactly what the uplink publishes (same topic shape, payloads and three user
    /// properties) with nothing read from a database: what MQTTnet itself reaches here. Outstanding publishes are held to
    /// the uplink's default window, 250, and to the broker's receive maximum, as the uplink holds them.
    /// </summary>
    private async Task PublishWithMqttnetAsync(int port)
    {
        using var client = new MQTTnet.MqttClientFactory().CreateMqttClient();
        using var deadline = new CancellationTokenSource(options.Timeout);
        var connected = await client.ConnectAsync(
            new MQTTnet.MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("bench-ceiling-mqttnet")
                .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart(true).WithoutPacketFragmentation().Build(),
            deadline.Token);
        var window = Math.Min(250, connected.ReceiveMaximum is { } max and > 0 ? (int)max : ushort.MaxValue);
        var outstanding = new Queue<Task>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var node = Encoding.UTF8.GetBytes("bench");
        for (var i = 0; i < messages; i++)
        {
            var device = (i % options.Devices) + 1;
            var message = new MQTTnet.MqttApplicationMessageBuilder()
                .WithTopic("gateways/bench/" + SensorReading.Topic(device))
                .WithPayload(SensorReading.Payload(device, (i / options.Devices) + 1, now + i))
                .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
                .WithUserProperty("edgestore-node", node.AsMemory())
                .WithUserProperty("edgestore-id", Encoding.UTF8.GetBytes((i + 1).ToString(CultureInfo.InvariantCulture)).AsMemory())
                .WithUserProperty("edgestore-received-ms", Encoding.UTF8.GetBytes((now + i).ToString(CultureInfo.InvariantCulture)).AsMemory())
                .Build();
            outstanding.Enqueue(client.PublishAsync(message, deadline.Token));
            if (outstanding.Count >= window)
            {
                await outstanding.Dequeue();
            }
        }

        await Task.WhenAll(outstanding);
        await client.DisconnectAsync(new MQTTnet.MqttClientDisconnectOptionsBuilder().Build(), CancellationToken.None);
    }

    private async Task PublishInProcessAsync(int port)
    {
        await using var client = new MqttClient(new MqttClientOptions { Port = port, ClientId = "bench-ceiling-publisher", CleanStart = true });
        await client.StartAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(options.Timeout);
        await client.WaitConnectedAsync(deadline.Token);
        var outstanding = new Queue<Task>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < messages; i++)
        {
            var device = (i % options.Devices) + 1;
            var message = new MqttApplicationMessage
            {
                Topic = "gateways/bench/" + SensorReading.Topic(device),
                Payload = SensorReading.Payload(device, (i / options.Devices) + 1, now + i),
                Qos = MqttQualityOfService.AtLeastOnce,
                UserProperties =
                [
                    new MqttUserProperty("edgestore-node", "bench"),
                    new MqttUserProperty("edgestore-id", (i + 1).ToString(CultureInfo.InvariantCulture)),
                    new MqttUserProperty("edgestore-received-ms", (now + i).ToString(CultureInfo.InvariantCulture)),
                ],
            };
            outstanding.Enqueue(client.PublishAsync(message, deadline.Token));
            if (outstanding.Count >= MaxOutstanding)
            {
                await outstanding.Dequeue();
            }
        }

        await Task.WhenAll(outstanding);
        await client.StopAsync(CancellationToken.None);
    }

    private static ChildProcess StartMosquittoPub(int port) => ChildProcess.Start(
        "mosquitto_pub",
        [
            "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-V", "5", "-q", "1", "-i", "bench-ceiling-mosquitto-pub",
            "-t", "gateways/bench/" + SensorReading.Topic(1),
            // The uplink's three user properties, with values of the uplink's length.
            "-D", "publish", "user-property", "edgestore-node", "bench",
            "-D", "publish", "user-property", "edgestore-id", "1000000",
            "-D", "publish", "user-property", "edgestore-received-ms", "1764000000000",
            "-l",
        ]);

    /// <summary>
    /// Feeds mosquitto_pub at most <see cref="MaxLinesAhead"/> lines ahead of the subscriber and closes its input only
    /// once everything arrived: mosquitto_pub 2.0.11 reads ahead into an unbounded queue and, at the end of its input,
    /// disconnects with what it still holds (a first version that closed at once got about 82,500 of 1,000,000 through).
    /// </summary>
    private async Task WriteLinesAsync(ChildProcess child, CountingSubscriber subscriber)
    {
        var input = child.StandardInput;
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < messages && clock.Elapsed < options.Timeout; i++)
        {
            while (i - subscriber.Received > MaxLinesAhead && clock.Elapsed < options.Timeout)
            {
                await input.FlushAsync();
                await Task.Delay(1);
            }

            var device = (i % options.Devices) + 1;
            await input.WriteLineAsync(Encoding.UTF8.GetString(SensorReading.Payload(device, (i / options.Devices) + 1, now + i)));
        }

        await input.FlushAsync();
        await subscriber.WaitForAsync(messages, stall: TimeSpan.FromSeconds(20), options.Timeout);
        input.Close();
    }
}
