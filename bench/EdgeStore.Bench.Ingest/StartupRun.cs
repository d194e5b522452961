using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeStore.Mqtt;

namespace EdgeStore.Bench.Ingest;

/// <summary>
/// Startup mode: one broker (the live scenarios' settings) keeps running; the daemon is started N times per build,
/// builds alternating, each time on a fresh database (created and migrated at start) and with a client id of its own
/// (so no session and no queued message carries over). Measured from a <see cref="Stopwatch"/> timestamp taken just
/// before the process is started (fork/exec) to three outside observations:
/// (1) the broker: the bench reads mosquitto's log line "CLIENTID 1 sensors/#" (stderr, unbuffered) as mosquitto has
///     taken the SUBSCRIBE: the subscription is in place. The headline figure.
/// (2) the daemon's stdout: the bench reads its "Subscribed to" line (written after the SUBACK arrived).
/// (3) a retained message: before the first start the bench publishes a retained QoS 1 marker on
///     sensors/bench-startup/marker; the broker sends it right after the SUBACK, and its stored received_at_ms (the
///     daemon's wall clock when it read the message) minus the wall clock at exec (ms resolution) is the cross-check.
/// </summary>
internal static class StartupRun
{
    private const string MarkerTopic = "sensors/bench-startup/marker";

    public static async Task PrintAsync(BenchOptions options)
    {
        var culture = CultureInfo.InvariantCulture;
        var directory = Directory.CreateTempSubdirectory("edgestore-startup-").FullName;
        var figures = options.Builds.ToDictionary(b => b, _ => (Broker: new List<double>(), Log: new List<double>(), Retained: new List<double>()));
        try
        {
            await using var broker = await BenchBroker.StartAsync(directory, maxInflightMessages: 1000);
            await PublishMarkerAsync(broker.Port);
            Console.WriteLine($"{options.Count} starts per build, builds alternating, one mosquitto on 127.0.0.1:{broker.Port}");
            for (var run = 1; run <= options.Count; run++)
            {
                foreach (var build in options.Builds)
                {
                    var clientId = $"edgestore-startup-{build}-{run}";
                    var databasePath = Path.Combine(directory, $"{clientId}.db");
                    var scenario = BenchScenario.All.First(s => s.Name == "live-qos1");
                    var environment = IngestRun.DaemonEnvironment(options, scenario, broker.Port, databasePath);
                    environment["EDGESTORE__MQTT__CLIENTID"] = clientId;
                    using var daemon = ChildProcess.Start(options.BuildPath(build), ["run"], environment, directory);
                    try
                    {
                        var atBroker = await broker.WaitForLineAsync(BenchBroker.SubscribedLine(clientId), TimeSpan.FromSeconds(60), daemon.StartTimestamp);
                        var inLog = await daemon.WaitForLineAsync("Subscribed to", TimeSpan.FromSeconds(60));
                        var probe = new StoreProbe(databasePath);
                        long? marker = null;
                        for (var poll = 0; poll < 500 && (marker = probe.FirstReceivedUnixMs(MarkerTopic)) is null; poll++)
                        {
                            await Task.Delay(20);
                        }

                        var brokerMs = Stopwatch.GetElapsedTime(daemon.StartTimestamp, atBroker).TotalMilliseconds;
                        var logMs = Stopwatch.GetElapsedTime(daemon.StartTimestamp, inLog).TotalMilliseconds;
                        var retainedMs = marker is { } m ? m - daemon.StartUnixMs : double.NaN;
                        figures[build].Broker.Add(brokerMs);
                        figures[build].Log.Add(logMs);
                        if (!double.IsNaN(retainedMs))
                        {
                            figures[build].Retained.Add(retainedMs);
                        }

                        var exit = await daemon.StopAsync(TimeSpan.FromSeconds(30));
                        Console.WriteLine(string.Create(culture,
                            $"{build} run {run}: exec -> broker has the SUBSCRIBE {brokerMs:0.0} ms, -> \"Subscribed to\" read {logMs:0.0} ms, -> retained marker received {(double.IsNaN(retainedMs) ? "never" : retainedMs.ToString("0", culture) + " ms")}, exit {exit}"));
                    }
                    catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
                    {
                        Console.WriteLine($"{build} run {run}: FAILED: {e.Message}");
                    }
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        Console.WriteLine();
        Console.WriteLine("| build | starts | exec -> broker has the SUBSCRIBE, ms median (min-max) | exec -> \"Subscribed to\" read from stdout, ms median (min-max) | exec -> retained marker received, ms median (min-max) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (build, f) in figures)
        {
            Console.WriteLine($"| {(build == "aot" ? "Native AOT" : "JIT (dotnet build)")} | {f.Broker.Count} | {Summary(f.Broker)} | {Summary(f.Log)} | {Summary(f.Retained)} |");
        }
    }

    private static string Summary(List<double> values) => values.Count == 0
        ? "-"
        : string.Create(CultureInfo.InvariantCulture, $"{CompareRun.Median(values):0} ({values.Min():0}-{values.Max():0})");

    private static async Task PublishMarkerAsync(int port)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var client = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = port, ClientId = "bench-startup-marker", CleanStart = true });
        await client.StartAsync(deadline.Token);
        await client.WaitConnectedAsync(deadline.Token);
        await client.PublishAsync(MarkerTopic, Encoding.UTF8.GetBytes("{\"seq\":1,\"marker\":true}"), MqttQualityOfService.AtLeastOnce, retain: true, deadline.Token);
        await client.StopAsync(deadline.Token);
    }
}
