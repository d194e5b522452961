using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// Ingest on a fresh database, as bench/EdgeStore.Bench.Ingest's live-qos1 scenario measures it (a gateway mosquitto
/// with max_inflight_messages 1000, `edgestore simulate --rate 0 --qos 1`, stored rows/s from the first row's receive
/// time to the last commit seen by polling max(id)), with the uplink disabled or forwarding everything it stores to an
/// upstream mosquitto (max_inflight_messages from --ingest-broker-inflight, by default mosquitto's) while ingest runs.
/// </summary>
internal sealed partial class IngestCostRun(UplinkBenchOptions options, bool uplink)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan SettledAfter = TimeSpan.FromSeconds(5);

    public async Task<IngestResult> RunAsync()
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-upbench-").FullName;
        try
        {
            return await RunInAsync(directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<IngestResult> RunInAsync(string directory)
    {
        var databasePath = Path.Combine(directory, "edgestore.db");
        var probe = new StoreProbe(databasePath);
        await using var gateway = await BenchBroker.StartAsync(directory, "gateway", maxInflightMessages: 1000);
        await using var upstream = uplink ? await BenchBroker.StartAsync(directory, "upstream", options.IngestBrokerInflight) : null;
        await using var subscriber = upstream is null ? null : await CountingSubscriber.StartAsync(upstream.Port, options.SubscriberQos);
        using var daemon = DaemonLaunch.Start(options, databasePath, gateway.Port, upstream?.Port);
        var processes = new Dictionary<string, int> { ["daemon"] = daemon.ProcessId, ["gateway broker"] = gateway.ProcessId };
        if (upstream is not null)
        {
            processes["upstream broker"] = upstream.ProcessId;
        }

        await using var sampler = new ResourceSampler(processes);
        await daemon.WaitForLineAsync(DaemonLaunch.SubscribedLine, TimeSpan.FromSeconds(90));
        if (uplink)
        {
            await daemon.WaitForLineAsync(DaemonLaunch.UplinkConnectedLine, TimeSpan.FromSeconds(90));
        }

        using var publisher = StartPublisher(gateway.Port);
        var clock = Stopwatch.StartNew();
        var highest = 0L;
        var lastChangeUnixMs = 0L;
        var lastChange = clock.Elapsed;
        long lastStoredTimestamp = 0;
        var timedOut = false;
        while (true)
        {
            await Task.Delay(PollInterval);
            var now = probe.HighestId();
            if (highest == 0 && now > 0)
            {
                sampler.MarkWindowStart();
            }

            if (now != highest)
            {
                highest = now;
                lastChangeUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                lastStoredTimestamp = Stopwatch.GetTimestamp();
                lastChange = clock.Elapsed;
            }

            if (publisher.HasExited && (highest >= options.IngestCount || clock.Elapsed - lastChange > SettledAfter))
            {
                break;
            }

            if (daemon.HasExited || clock.Elapsed > options.Timeout)
            {
                timedOut = true;
                break;
            }
        }

        var cpu = sampler.CpuSinceMark();
        var forwardedAtIngestEnd = subscriber?.Received ?? 0;
        var catchUp = TimeSpan.Zero;
        if (subscriber is not null)
        {
            await subscriber.WaitForAsync(highest, stall: TimeSpan.FromSeconds(20), options.Timeout);
            catchUp = subscriber.LastTimestamp > lastStoredTimestamp ? Stopwatch.GetElapsedTime(lastStoredTimestamp, subscriber.LastTimestamp) : TimeSpan.Zero;
        }

        var peakAnon = sampler.PeakRssAnonKiB;
        await daemon.StopAsync(TimeSpan.FromSeconds(30));
        var first = probe.FirstReceivedUnixMs();
        var window = first is { } start && lastChangeUnixMs > start ? TimeSpan.FromMilliseconds(lastChangeUnixMs - start) : TimeSpan.Zero;
        return new IngestResult(
            uplink,
            Published(publisher.Output),
            probe.Rows(),
            window,
            forwardedAtIngestEnd,
            subscriber?.Received ?? 0,
            catchUp,
            uplink ? DaemonLaunch.ReadForwarded(databasePath) : null,
            cpu,
            peakAnon,
            timedOut);
    }

    private ChildProcess StartPublisher(int port) => ChildProcess.Start(
        options.EdgeStorePath,
        [
            "simulate",
            "--host", "127.0.0.1",
            "--port", port.ToString(CultureInfo.InvariantCulture),
            "--devices", options.Devices.ToString(CultureInfo.InvariantCulture),
            "--count", options.IngestCount.ToString(CultureInfo.InvariantCulture),
            "--rate", "0",
            "--duration", ((int)options.Timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
            "--qos", "1",
        ]);

    private static long Published(string output)
    {
        var match = PublishedLine().Match(output);
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"published (\d+) messages")]
    private static partial Regex PublishedLine();
}
