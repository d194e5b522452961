using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgeStore.Testing;

namespace EdgeStore.Bench.Ingest;

/// <summary>What one subscriber did in one compare run.</summary>
/// <param name="Received">Distinct messages stored (rows minus duplicates), or received by mosquitto_sub; null when
/// mosquitto_sub did not finish (it writes to /dev/null, so only its exit after -C N says how many it had).</param>
/// <param name="Window">From the broker's log line of the publisher's CONNECT to the moment the bench saw the last
/// message (see <see cref="CompareRun"/>).</param>
internal sealed record CompareResult(
    string System,
    int Qos,
    long Published,
    long? Received,
    long Duplicates,
    TimeSpan Window,
    double PublisherRatePerSecond,
    long PeakRssAnonKiB,
    TimeSpan SubscriberCpu,
    TimeSpan BrokerCpu,
    TimeSpan PublisherCpu,
    bool TimedOut,
    string? Problem)
{
    public long? Missing => Received is { } received ? Published - received : null;

    public double RowsPerSecond => Received is { } received && Window > TimeSpan.Zero ? received / Window.TotalSeconds : 0;
}

/// <summary>
/// Compare mode: for one QoS, one subscriber on a fresh broker with the live scenarios' settings
/// (<see cref="BenchBroker"/>, max_inflight_messages 1000), the same publisher as every scenario
/// (<c>edgestore simulate --devices D --count N --rate 0</c>), started once the broker has logged the subscriber's
/// SUBSCRIBE to sensors/# at QoS 1 (every subscriber subscribes at QoS 1; the publisher's QoS decides delivery).
/// <para>
/// The window, identical for all: from the moment the bench reads the broker's "New client connected ... as
/// edgestore-simulate-PID" line (mosquitto logs to stderr unbuffered; the publisher starts publishing on CONNACK), to
/// the first 20 ms poll that finds the subscriber done: mosquitto_sub exited after <c>-C N</c>; a database holding
/// N rows (max(id), read-only, mmap 0), or, if it never gets there, the last poll at which the row count changed
/// (after the publisher exited and 5 s without change). Rows/s = distinct messages stored (or received) / window.
/// </para>
/// <para>CPU: user + system time of each process between the publisher's start and the end of the window
/// (mosquitto_sub's from its shell's <c>times</c>, since it has exited by then); peak RssAnon: the subscriber's
/// /proc/PID/status every 100 ms from its SUBSCRIBE to the end of the window.</para>
/// </summary>
internal sealed partial class CompareRun(BenchOptions options)
{
    private const string CeilingClientId = "bench-ceiling";
    private const string EdgeStoreClientId = "edgestore-bench";
    private const string MqttNetClientId = "bench-mqttnet-store";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan SettledAfter = TimeSpan.FromSeconds(5);

    public static string Describe(string system) => system switch
    {
        "ceiling" => "ceiling: mosquitto_sub, stores nothing",
        "aot" => "EdgeStore, Native AOT",
        "jit" => "EdgeStore, JIT (dotnet build)",
        "mqttnet" => "MQTTnet 5.2 + Microsoft.Data.Sqlite, minimal",
        _ => system,
    };

    public async Task<CompareResult> RunAsync(string system, int qos)
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-compare-").FullName;
        try
        {
            return await RunInAsync(directory, system, qos);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<CompareResult> RunInAsync(string directory, string system, int qos)
    {
        await using var broker = await BenchBroker.StartAsync(directory, maxInflightMessages: 1000);
        var databasePath = Path.Combine(directory, "store.db");
        var port = broker.Port.ToString(CultureInfo.InvariantCulture);
        string clientId;
        ChildProcess subscriber;
        StoreProbe? probe = null;
        switch (system)
        {
            case "ceiling":
                clientId = CeilingClientId;
                // The shell reports its reaped child's CPU time with `times` (mosquitto_sub exits after -C N).
                subscriber = ChildProcess.Start("/bin/sh",
                [
                    "-c",
                    $"mosquitto_sub -h 127.0.0.1 -p {port} -V mqttv5 -i {CeilingClientId} -q 1 -t 'sensors/#' -C {options.Messages} > /dev/null; code=$?; times; exit $code",
                ], workingDirectory: directory);
                break;
            case "mqttnet":
                clientId = MqttNetClientId;
                probe = new StoreProbe(databasePath, minimal: true);
                subscriber = ChildProcess.Start(options.MqttNetStorePath,
                [
                    "--port", port, "--db", databasePath, "--client-id", MqttNetClientId, "--qos", "1",
                    "--time-limit-seconds", ((int)options.Timeout.TotalSeconds + 60).ToString(CultureInfo.InvariantCulture),
                ], workingDirectory: directory);
                break;
            default:
                clientId = EdgeStoreClientId;
                probe = new StoreProbe(databasePath);
                var scenario = BenchScenario.All.First(s => s.Name == (qos == 0 ? "live-qos0" : "live-qos1"));
                var environment = IngestRun.DaemonEnvironment(options, scenario, broker.Port, databasePath);
                subscriber = ChildProcess.Start(options.BuildPath(system), ["run"], environment, directory);
                break;
        }

        ChildProcess? publisher = null;
        int? ceilingPid = null;
        try
        {
            await broker.WaitForLineAsync(BenchBroker.SubscribedLine(clientId), TimeSpan.FromSeconds(90));
            var subscriberPid = system == "ceiling" ? (ceilingPid = await ChildOfAsync(subscriber.ProcessId)).Value : subscriber.ProcessId;
            await using var sampler = new ResourceSampler(subscriberPid, new Dictionary<string, int> { ["subscriber"] = subscriberPid, ["broker"] = broker.ProcessId });
            sampler.MarkWindowStart();
            var subscriberCpuAtStart = ProcFs.ReadProcessCpu(subscriberPid) ?? TimeSpan.Zero;
            publisher = IngestRun.StartPublisher(options, broker.Port, qos);
            sampler.Track("publisher", publisher.ProcessId);
            var started = await broker.WaitForLineAsync("as edgestore-simulate-", TimeSpan.FromSeconds(60), publisher.StartTimestamp);

            var highest = 0L;
            var lastChange = Stopwatch.GetTimestamp();
            long end;
            var timedOut = false;
            string? problem = null;
            while (true)
            {
                await Task.Delay(PollInterval);
                var now = Stopwatch.GetTimestamp();
                if (probe is null)
                {
                    if (subscriber.HasExited)
                    {
                        end = now;
                        break;
                    }
                }
                else
                {
                    var rows = probe.HighestId();
                    if (rows != highest)
                    {
                        highest = rows;
                        lastChange = now;
                    }

                    if (highest >= options.Messages)
                    {
                        end = now;
                        break;
                    }

                    if (publisher.HasExited && Stopwatch.GetElapsedTime(lastChange, now) > SettledAfter)
                    {
                        end = lastChange;
                        break;
                    }

                    if (subscriber.HasExited)
                    {
                        problem = $"exited with {subscriber.ExitCode} during the run: {IngestRun.LastLines(subscriber.Output, 5)}";
                        end = lastChange;
                        break;
                    }
                }

                if (Stopwatch.GetElapsedTime(started, now) > options.Timeout)
                {
                    timedOut = true;
                    end = probe is null ? now : lastChange;
                    break;
                }
            }

            var cpu = sampler.CpuUsed();
            var peakRssAnonKiB = sampler.PeakRssAnonKiB;
            TimeSpan subscriberCpu;
            if (system == "ceiling")
            {
                subscriberCpu = subscriber.HasExited ? ChildCpu(subscriber.Output) - subscriberCpuAtStart : TimeSpan.Zero;
            }
            else
            {
                subscriberCpu = (ProcFs.ReadProcessCpu(subscriberPid) ?? subscriberCpuAtStart) - subscriberCpuAtStart;
            }

            // Wait for the publisher's report (it exits once its last publish was accepted), then stop the subscriber.
            if (!publisher.HasExited)
            {
                try
                {
                    await publisher.WaitForExitAsync(TimeSpan.FromSeconds(30));
                }
                catch (TimeoutException)
                {
                    problem ??= "the publisher did not exit";
                }
            }

            var (published, publisherRate) = publisher.HasExited ? IngestRun.ParsePublished(publisher.Output) : (0L, 0.0);
            long? received;
            long duplicates = 0;
            if (probe is null)
            {
                received = subscriber.HasExited && subscriber.ExitCode == 0 ? options.Messages : null;
            }
            else
            {
                var exit = await subscriber.StopAsync(TimeSpan.FromSeconds(30));
                if (exit != 0)
                {
                    problem ??= $"exit code {exit} at stop";
                }

                duplicates = probe.Duplicates();
                received = probe.Rows() - duplicates;
            }

            return new CompareResult(
                system,
                qos,
                published,
                received,
                duplicates,
                Stopwatch.GetElapsedTime(started, end),
                publisherRate,
                peakRssAnonKiB,
                subscriberCpu,
                cpu.GetValueOrDefault("broker"),
                cpu.GetValueOrDefault("publisher"),
                timedOut,
                problem);
        }
        finally
        {
            publisher?.Dispose();
            subscriber.Dispose();
            if (ceilingPid is { } pid && Directory.Exists($"/proc/{pid}"))
            {
                // The shell was killed, not its child: mosquitto_sub is killed by its own PID.
                UnixSignal.Send(pid, UnixSignal.SigKill);
            }
        }
    }

    /// <summary>The PID of the shell's one child (mosquitto_sub), from /proc/PID/task/PID/children.</summary>
    private static async Task<int> ChildOfAsync(int shellPid)
    {
        for (var attempt = 0; attempt < 500; attempt++)
        {
            try
            {
                var children = await File.ReadAllTextAsync($"/proc/{shellPid}/task/{shellPid}/children");
                if (int.TryParse(children.Trim().Split(' ')[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
                {
                    return pid;
                }
            }
            catch (IOException)
            {
                // Not there yet, or gone.
            }

            await Task.Delay(10);
        }

        throw new InvalidOperationException($"the shell {shellPid} has no child: mosquitto_sub did not start");
    }

    /// <summary>User + system time of the shell's reaped children, from the second line of `times`.</summary>
    private static TimeSpan ChildCpu(string output)
    {
        var lines = TimesLine().Matches(output);
        if (lines.Count < 2)
        {
            return TimeSpan.Zero;
        }

        var children = lines[1];
        double Seconds(int group) =>
            (int.Parse(children.Groups[group].Value, CultureInfo.InvariantCulture) * 60)
            + double.Parse(children.Groups[group + 1].Value, CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(Seconds(1) + Seconds(3));
    }

    [GeneratedRegex(@"^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$", RegexOptions.Multiline)]
    private static partial Regex TimesLine();

    /// <summary>Every run of the mode, interleaved (each repetition runs every system once), then the tables.</summary>
    public static async Task PrintAsync(BenchOptions options)
    {
        var culture = CultureInfo.InvariantCulture;
        var run = new CompareRun(options);
        var results = new List<CompareResult>();
        foreach (var qos in options.QosLevels)
        {
            for (var repetition = 1; repetition <= options.Repeat; repetition++)
            {
                foreach (var system in options.Systems)
                {
                    Console.Write($"QoS {qos}, run {repetition}, {Describe(system)}: ");
                    try
                    {
                        var r = await run.RunAsync(system, qos);
                        results.Add(r);
                        Console.WriteLine(string.Create(culture,
                            $"{r.RowsPerSecond:N0} rows/s, {(r.Received?.ToString("N0", culture) ?? "?")} of {r.Published:N0} in {r.Window.TotalSeconds:0.000} s, missing {(r.Missing?.ToString(culture) ?? "?")}, dup {r.Duplicates}, peak RssAnon {r.PeakRssAnonKiB / 1024.0:0.0} MiB, CPU s {r.SubscriberCpu.TotalSeconds:0.00} / broker {r.BrokerCpu.TotalSeconds:0.00} / publisher {r.PublisherCpu.TotalSeconds:0.00}, publisher {r.PublisherRatePerSecond:N0} msg/s{(r.TimedOut ? " (TIMED OUT)" : "")}{(r.Problem is null ? "" : " PROBLEM: " + r.Problem)}"));
                    }
                    catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
                    {
                        Console.WriteLine($"FAILED: {e.Message}");
                    }
                }
            }
        }

        Console.WriteLine();
        Console.WriteLine("Every run:");
        Console.WriteLine();
        Console.WriteLine("| QoS | subscriber | published | stored / received | missing | dup | window s | rows/s | peak RssAnon MiB | CPU s subscriber / broker / publisher |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(culture,
                $"| {r.Qos} | {Describe(r.System)}{(r.TimedOut ? " (timed out)" : "")}{(r.Problem is null ? "" : " (" + r.Problem + ")")} | {r.Published:N0} | {(r.Received?.ToString("N0", culture) ?? "?")} | {(r.Missing?.ToString("N0", culture) ?? "?")} | {r.Duplicates} | {r.Window.TotalSeconds:0.000} | {r.RowsPerSecond:N0} | {r.PeakRssAnonKiB / 1024.0:0.0} | {r.SubscriberCpu.TotalSeconds:0.00} / {r.BrokerCpu.TotalSeconds:0.00} / {r.PublisherCpu.TotalSeconds:0.00} |"));
        }

        Console.WriteLine();
        Console.WriteLine($"Medians of {options.Repeat} run(s) each ({options.Messages:N0} messages from {options.Devices} devices per run; rows/s = distinct messages stored or received / time from the broker's log of the publisher's CONNECT to the last message seen):");
        Console.WriteLine();
        Console.WriteLine("| QoS | subscriber | runs | stored / received (min) | missing (max) | dup (max) | rows/s median (min-max) | % of ceiling | peak RssAnon MiB median (max) | CPU s subscriber median | CPU s broker / publisher median |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var qos in options.QosLevels)
        {
            var ceiling = results.Where(r => r.Qos == qos && r.System == "ceiling").Select(r => r.RowsPerSecond).ToList();
            var ceilingMedian = ceiling.Count > 0 ? Median(ceiling) : 0;
            foreach (var system in options.Systems)
            {
                var runs = results.Where(r => r.Qos == qos && r.System == system).ToList();
                if (runs.Count == 0)
                {
                    continue;
                }

                var rates = runs.Select(r => r.RowsPerSecond).ToList();
                var median = Median(rates);
                var received = runs.Any(r => r.Received is null) ? "?" : runs.Min(r => r.Received!.Value).ToString("N0", culture);
                var missing = runs.Any(r => r.Missing is null) ? "?" : runs.Max(r => r.Missing!.Value).ToString("N0", culture);
                var share = ceilingMedian > 0 ? (median / ceilingMedian * 100).ToString("0", culture) + "%" : "-";
                Console.WriteLine(string.Create(culture,
                    $"| {qos} | {Describe(system)}{(runs.Any(r => r.TimedOut || r.Problem is not null) ? " (a run failed, see above)" : "")} | {runs.Count} | {received} | {missing} | {runs.Max(r => r.Duplicates)} | {median:N0} ({rates.Min():N0}-{rates.Max():N0}) | {share} | {Median(runs.Select(r => r.PeakRssAnonKiB / 1024.0).ToList()):0.0} ({runs.Max(r => r.PeakRssAnonKiB) / 1024.0:0.0}) | {Median(runs.Select(r => r.SubscriberCpu.TotalSeconds).ToList()):0.00} | {Median(runs.Select(r => r.BrokerCpu.TotalSeconds).ToList()):0.00} / {Median(runs.Select(r => r.PublisherCpu.TotalSeconds).ToList()):0.00} |"));
            }
        }
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
