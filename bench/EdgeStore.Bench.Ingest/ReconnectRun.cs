using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeStore.Bench.MqttClients;
using EdgeStore.Mqtt;

namespace EdgeStore.Bench.Ingest;

/// <summary>
/// Reconnect mode: the daemon connects to a fresh broker (the live scenarios' settings) through a loopback
/// <see cref="TcpRelay"/>; the bench publishes a few QoS 1 messages straight to the broker, then resets both sides of the
/// relayed connection (no DISCONNECT: the broker keeps the session, unacknowledged messages are redelivered) and waits
/// for the broker to log the daemon's next SUBSCRIBE, N times. Mqtt:ReconnectMinDelayMs is 10 (the lowest allowed; the
/// daemon pauses 5-15 ms before reconnecting). At the end every published message must be stored once.
/// Reconnects seen = the daemon's "Connected to MQTT broker ... as 'edgestore-bench'" log lines minus the first,
/// cross-checked with the broker's SUBSCRIBE lines; the remote-tuning connection ('edgestore-bench-control') goes
/// through the relay too and is cut with it, so its reconnects are counted alongside. RssAnon: the daemon's /proc/PID/status every 100 ms over its whole life; "final" is read
/// 2 s after the last row was stored.
/// </summary>
internal sealed class ReconnectRun(BenchOptions options)
{
    private const string ClientId = "edgestore-bench";
    // The daemon opens two MQTT connections through the relay, ingest and remote tuning ("-control"); a cut drops both.
    private const string ConnectedLine = $"as '{ClientId}' over";
    private const string ControlConnectedLine = $"as '{ClientId}-control' over";

    public static async Task PrintAsync(BenchOptions options)
    {
        var culture = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(culture, $"{options.Count:N0} connection cuts through a loopback relay, {options.MessagesPerReconnect} QoS 1 messages published before each"));
        var rows = new List<string>();
        foreach (var build in options.Builds)
        {
            Console.Write($"{build}: ");
            var directory = Directory.CreateTempSubdirectory("edgestore-reconnect-").FullName;
            try
            {
                var row = await new ReconnectRun(options).RunAsync(build, directory);
                Console.WriteLine(row);
                rows.Add(row);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
            {
                Console.WriteLine($"FAILED: {e.Message}");
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        Console.WriteLine();
        Console.WriteLine("| build | cuts | ingest reconnects seen: daemon log / broker SUBSCRIBEs; control connection reconnects | seconds | published | stored | missing | dup | RssAnon MiB after start | peak RssAnon MiB | final RssAnon MiB | daemon CPU s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var row in rows)
        {
            Console.WriteLine(row);
        }
    }

    private async Task<string> RunAsync(string build, string directory)
    {
        var culture = CultureInfo.InvariantCulture;
        await using var broker = await BenchBroker.StartAsync(directory, maxInflightMessages: 1000);
        var subscribed = BenchBroker.SubscribedLine(ClientId);
        broker.Watch(subscribed);
        using var relay = new TcpRelay(broker.Port);
        var databasePath = Path.Combine(directory, "edgestore.db");
        var probe = new StoreProbe(databasePath);
        var scenario = BenchScenario.All.First(s => s.Name == "live-qos1");
        var environment = IngestRun.DaemonEnvironment(options, scenario, relay.Port, databasePath);
        environment["EDGESTORE__MQTT__RECONNECTMINDELAYMS"] = "10";
        environment["EDGESTORE__MQTT__RECONNECTMAXDELAYMS"] = "1000";
        using var daemon = ChildProcess.Start(options.BuildPath(build), ["run"], environment, directory);
        daemon.Watch(ConnectedLine);
        daemon.Watch(ControlConnectedLine);
        await using var sampler = new ResourceSampler(daemon.ProcessId, new Dictionary<string, int> { ["daemon"] = daemon.ProcessId });
        await WaitForCountAsync(() => broker.Count(subscribed), 1, TimeSpan.FromSeconds(90), daemon);
        var afterStart = ProcFs.ReadStatusKiB(daemon.ProcessId, "RssAnon").GetValueOrDefault("RssAnon");
        sampler.MarkWindowStart();

        await using var publisher = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = broker.Port, ClientId = "bench-reconnect-publisher", CleanStart = true });
        using var deadline = new CancellationTokenSource(options.Timeout);
        await publisher.StartAsync(deadline.Token);
        await publisher.WaitConnectedAsync(deadline.Token);
        var clock = Stopwatch.StartNew();
        var published = 0L;
        var cuts = 0;
        var problem = "";
        try
        {
            for (; cuts < options.Count; cuts++)
            {
                var sends = new List<Task>(options.MessagesPerReconnect);
                for (var i = 0; i < options.MessagesPerReconnect; i++)
                {
                    // Ten devices, each with its own sequence, in the simulator's JSON shape (device_seq is decoded).
                    var device = published % 10;
                    var seq = (published / 10) + 1;
                    var payload = Encoding.UTF8.GetBytes(string.Create(culture, $"{{\"seq\":{seq},\"ts\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()},\"temperature\":21.5}}"));
                    sends.Add(publisher.PublishAsync($"sensors/dev-{device:D4}/telemetry", payload, MqttQualityOfService.AtLeastOnce, false, deadline.Token));
                    published++;
                }

                await Task.WhenAll(sends);
                relay.Cut(refuseNew: false);
                await WaitForCountAsync(() => broker.Count(subscribed), cuts + 2, TimeSpan.FromSeconds(30), daemon);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or MqttException)
        {
            problem = $" (stopped after {cuts} cuts: {e.Message.Split('\n')[0]})";
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await publisher.StopAsync(CancellationToken.None);

        // Everything published must arrive: wait (bounded) until every message is stored, then let the daemon idle.
        var settle = Stopwatch.StartNew();
        while (probe.Rows() - probe.Duplicates() < published && settle.Elapsed < TimeSpan.FromSeconds(60) && !daemon.HasExited)
        {
            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(2));
        var final = ProcFs.ReadStatusKiB(daemon.ProcessId, "RssAnon").GetValueOrDefault("RssAnon");
        var cpu = sampler.CpuUsed().GetValueOrDefault("daemon");
        var reconnectsLogged = daemon.Count(ConnectedLine) - 1;
        var controlReconnects = daemon.Count(ControlConnectedLine) - 1;
        var subscribes = broker.Count(subscribed) - 1;
        var exit = await daemon.StopAsync(TimeSpan.FromSeconds(30));
        if (exit != 0)
        {
            problem += $" (daemon exit {exit}: {IngestRun.LastLines(daemon.Output, 3)})";
        }

        var duplicates = probe.Duplicates();
        var stored = probe.Rows();
        return string.Create(culture,
            $"| {build}{problem} | {cuts:N0} | {reconnectsLogged:N0} / {subscribes:N0} / {controlReconnects:N0} | {seconds:0.0} | {published:N0} | {stored:N0} | {published - (stored - duplicates):N0} | {duplicates:N0} | {afterStart / 1024.0:0.0} | {sampler.PeakRssAnonKiB / 1024.0:0.0} | {final / 1024.0:0.0} | {cpu.TotalSeconds:0.0} |");
    }

    private static async Task WaitForCountAsync(Func<long> count, long atLeast, TimeSpan timeout, ChildProcess daemon)
    {
        var clock = Stopwatch.StartNew();
        while (count() < atLeast)
        {
            if (daemon.HasExited)
            {
                // The whole retained log, for the reason: the last lines are only the orderly stop.
                var log = Path.Combine(Path.GetTempPath(), $"edgestore-reconnect-{daemon.ProcessId}.log");
                await File.WriteAllTextAsync(log, daemon.Output);
                var warnings = daemon.Output.Split('\n').Where(l => l.Contains(" warn: ", StringComparison.Ordinal) || l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" crit: ", StringComparison.Ordinal))
                    .Where(l => !l.Contains("lost:", StringComparison.Ordinal)).TakeLast(5);
                throw new InvalidOperationException($"the daemon exited ({daemon.ExitCode}) after SUBSCRIBE {count()}; its log is in {log}; last warnings other than lost connections: {string.Join(" / ", warnings)}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"no SUBSCRIBE number {atLeast} from the daemon within {timeout.TotalSeconds:0} s");
            }

            await Task.Delay(2);
        }
    }
}
