using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// One drain: a copy of the backlog database, a gateway broker (idle), an upstream broker with the window under test
/// and the counting subscriber on it, then `edgestore run` with the uplink enabled, timed until the subscriber has
/// every row. Everything it starts it stops (by PID) and its directory is deleted before it returns.
/// </summary>
internal sealed partial class DrainRun(UplinkBenchOptions options, string backlogPath, int rows, int? brokerInflight)
{
    public async Task<DrainResult> RunAsync()
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

    private async Task<DrainResult> RunInAsync(string directory)
    {
        var databasePath = Path.Combine(directory, "edgestore.db");
        File.Copy(backlogPath, databasePath);
        await using var gateway = await BenchBroker.StartAsync(directory, "gateway", maxInflightMessages: 1000);
        await using var upstream = await BenchBroker.StartAsync(directory, "upstream", brokerInflight);
        await using var subscriber = await CountingSubscriber.StartAsync(upstream.Port, options.SubscriberQos);
        using var daemon = DaemonLaunch.Start(options, databasePath, gateway.Port, upstream.Port);
        await using var sampler = new ResourceSampler(new Dictionary<string, int>
        {
            ["daemon"] = daemon.ProcessId,
            ["upstream broker"] = upstream.ProcessId,
            ["bench (subscriber)"] = Environment.ProcessId,
        });

        var (connectedAt, connectedLine) = await daemon.WaitForLineAsync(DaemonLaunch.UplinkConnectedLine, TimeSpan.FromSeconds(90));
        sampler.MarkWindowStart();
        var complete = await subscriber.WaitForAsync(rows, stall: TimeSpan.FromSeconds(20), options.Timeout);
        var cpu = sampler.CpuSinceMark();
        var threads = sampler.DaemonThreadsSinceMark();
        var last = subscriber.LastTimestamp;
        var peakAnon = sampler.PeakRssAnonKiB;
        var exitCode = await daemon.StopAsync(TimeSpan.FromSeconds(30));
        var window = WindowOf(connectedLine);
        return new DrainResult(
            brokerInflight,
            window,
            rows,
            subscriber.Received,
            complete,
            last == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(connectedAt, last),
            last == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(subscriber.FirstTimestamp, last),
            cpu,
            threads,
            peakAnon,
            sampler.PeakVmHwmKiB,
            DaemonLaunch.ReadForwarded(databasePath),
            exitCode);
    }

    private static int WindowOf(string line)
    {
        var match = WindowPattern().Match(line);
        return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    [GeneratedRegex(@"up to (\d+) rows awaiting PUBACK")]
    private static partial Regex WindowPattern();
}
