using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeStore.Bench.Ingest;

/// <summary>
/// One measured run: a fresh broker and database, the daemon, and <c>edgestore simulate --rate 0</c> publishing
/// as fast as mosquitto accepts. Everything it starts it stops (by PID) before returning, and every wait is bounded.
/// </summary>
internal sealed partial class IngestRun(BenchOptions options, BenchScenario scenario)
{
    private const string SubscribedLine = "Subscribed to";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan SettledAfter = TimeSpan.FromSeconds(5);

    public async Task<BenchResult> RunAsync()
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-bench-").FullName;
        try
        {
            return await RunInAsync(directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<BenchResult> RunInAsync(string directory)
    {
        await using var broker = await BenchBroker.StartAsync(directory, scenario.BrokerInflight);
        var databasePath = Path.Combine(directory, "edgestore.db");
        var probe = new StoreProbe(databasePath);
        var environment = DaemonEnvironment(options, scenario, broker.Port, databasePath);
        var clock = Stopwatch.StartNew();
        var deadline = options.Timeout;

        ChildProcess? publisher = null;
        ChildProcess? daemon = null;
        try
        {
            if (scenario.Backlog)
            {
                // Create the persistent session, stop, and let the whole load queue up in the broker for it.
                daemon = ChildProcess.Start(options.EdgeStorePath, ["run"], environment, directory);
                await daemon.WaitForLineAsync(SubscribedLine, TimeSpan.FromSeconds(90));
                await daemon.StopAsync(TimeSpan.FromSeconds(30));
                daemon.Dispose();
                publisher = StartPublisher(broker.Port);
                await publisher.WaitForExitAsync(deadline);
            }

            // Sampled from the daemon's first instant: a backlog starts flowing right after CONNACK.
            daemon = ChildProcess.Start(options.EdgeStorePath, ["run"], environment, directory);
            var tracked = new Dictionary<string, int> { ["daemon"] = daemon.ProcessId, ["broker"] = broker.ProcessId };
            await using var sampler = new ResourceSampler(daemon.ProcessId, tracked);
            var profile = options.Perf ? new DaemonProfile(directory, daemon.ProcessId) : null;
            if (!scenario.Backlog)
            {
                // A backlog drains from CONNACK on, before the subscription is even confirmed: no wait for it there.
                await daemon.WaitForLineAsync(SubscribedLine, TimeSpan.FromSeconds(90));
                publisher = StartPublisher(broker.Port);
                sampler.Track("publisher", publisher.ProcessId);
            }

            var highest = 0L;
            var lastChangeUnixMs = 0L;
            var lastChange = clock.Elapsed;
            var timedOut = false;
            while (true)
            {
                await Task.Delay(PollInterval);
                var now = probe.HighestId();
                if (highest == 0 && now > 0)
                {
                    sampler.MarkWindowStart();
                    profile?.Start();
                }

                if (now != highest)
                {
                    highest = now;
                    lastChangeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    lastChange = clock.Elapsed;
                }

                if (publisher!.HasExited && (highest >= options.Messages || clock.Elapsed - lastChange > SettledAfter))
                {
                    break;
                }

                if (daemon.HasExited)
                {
                    // Crashed mid-run (an out-of-memory limit, a bug): report it, do not wait for rows that cannot come.
                    break;
                }

                if (clock.Elapsed > deadline)
                {
                    timedOut = true;
                    break;
                }
            }

            var cpu = sampler.CpuUsed();
            var threads = sampler.DaemonThreads();
            var profileReport = profile is null ? null : await profile.StopAsync();
            var crashed = daemon.HasExited;
            var exitCode = await daemon.StopAsync(TimeSpan.FromSeconds(30));
            if (crashed)
            {
                Console.Write($"[daemon exited with {exitCode} during the run: {LastLines(daemon.Output, 5)}] ");
            }
            var (published, publisherRate) = publisher.HasExited ? ParsePublished(publisher.Output) : (0L, 0.0);
            var first = probe.FirstReceivedUnixMs();
            var window = first is { } start && lastChangeUnixMs > start
                ? TimeSpan.FromMilliseconds(lastChangeUnixMs - start)
                : TimeSpan.Zero;
            return new BenchResult(
                scenario,
                published,
                probe.Rows(),
                probe.Duplicates(),
                probe.Quarantined(),
                window,
                publisherRate,
                sampler.PeakRssAnonKiB,
                sampler.PeakRssFileKiB,
                sampler.PeakVmHwmKiB,
                cpu,
                threads,
                exitCode,
                CountLines(broker.Output, "dropped"),
                timedOut,
                profileReport);
        }
        finally
        {
            publisher?.Dispose();
            daemon?.Dispose();
        }
    }

    /// <summary>The daemon's settings for a scenario: the broker at <paramref name="port"/>, subscription sensors/# at QoS 1.</summary>
    internal static Dictionary<string, string> DaemonEnvironment(BenchOptions options, BenchScenario scenario, int port, string databasePath)
    {
        var environment = new Dictionary<string, string>
        {
            ["EDGESTORE__MQTT__HOST"] = "127.0.0.1",
            ["EDGESTORE__MQTT__PORT"] = port.ToString(CultureInfo.InvariantCulture),
            ["EDGESTORE__MQTT__CLIENTID"] = "edgestore-bench",
            ["EDGESTORE__MQTT__PROTOCOLVERSION"] = scenario.ProtocolVersion.ToString(CultureInfo.InvariantCulture),
            ["EDGESTORE__MQTT__SUBSCRIPTIONS__0__FILTER"] = "sensors/#",
            ["EDGESTORE__MQTT__SUBSCRIPTIONS__0__QOS"] = "1",
            ["EDGESTORE__STORAGE__PATH"] = databasePath,
            ["EDGESTORE__STORAGE__DURABILITY"] = scenario.Durability,
            ["EDGESTORE__NODE__ID"] = "bench",
        };
        if (options.Perf)
        {
            // Names for JIT-compiled methods in the perf report (/tmp/perf-PID.map); with W^X on, JIT code runs from a
            // double-mapped memfd that perf attributes to "memfd:doublemapper" instead of the map.
            environment["DOTNET_PerfMapEnabled"] = "1";
            environment["DOTNET_EnableWriteXorExecute"] = "0";
        }

        if (scenario.ReceiveMaximum is { } receiveMaximum)
        {
            environment["EDGESTORE__MQTT__RECEIVEMAXIMUM"] = receiveMaximum.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (name, value) in options.DaemonEnvironment)
        {
            environment[name] = value;
        }

        return environment;
    }

    private ChildProcess StartPublisher(int port) => StartPublisher(options, port, scenario.Qos);

    /// <summary><c>edgestore simulate --rate 0</c>: the bench's load in every mode, <see cref="BenchOptions.EdgeStorePath"/>.</summary>
    internal static ChildProcess StartPublisher(BenchOptions options, int port, int qos) => ChildProcess.Start(
        options.EdgeStorePath,
        [
            "simulate",
            "--host", "127.0.0.1",
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--devices", options.Devices.ToString(CultureInfo.InvariantCulture),
            "--count", options.Messages.ToString(CultureInfo.InvariantCulture),
            "--rate", "0",
            "--duration", ((int)options.Timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
            "--qos", qos.ToString(CultureInfo.InvariantCulture),
        ]);

    internal static (long Published, double Rate) ParsePublished(string output)
    {
        var match = PublishedLine().Match(output);
        return match.Success
            ? (long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
            : (0, 0);
    }

    internal static string LastLines(string output, int count) =>
        string.Join(" / ", output.Split('\n').Where(l => l.Length > 0).TakeLast(count));

    private static int CountLines(string output, string text) =>
        output.Split('\n').Count(l => l.Contains(text, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex(@"published (\d+) messages in [\d.]+ s \(([\d.]+) msg/s\)")]
    private static partial Regex PublishedLine();
}
