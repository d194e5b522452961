using System.Globalization;
using EdgeStore.Bench.Uplink;

// A benchmark program, never a test: it prints figures and exits 0 unless it could not run at all.
UplinkBenchOptions options;
try
{
    options = UplinkBenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var culture = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(culture, $"edgestore uplink bench: backlog {options.Rows:N0} rows, ingest {options.IngestCount:N0} messages, {options.Repeat} run(s) each, {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:u}"));
Console.WriteLine($"daemon: {options.EdgeStorePath}");
Console.WriteLine($"subscriber: EdgeStore.Mqtt in this process, `gateways/#` at QoS {options.SubscriberQos}");
Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
if (options.DaemonEnvironment.Count > 0)
{
    Console.WriteLine("daemon settings: " + string.Join(' ', options.DaemonEnvironment.Select(e => $"{e.Key}={e.Value}")));
}

string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", culture);
string CpuList(IReadOnlyDictionary<string, TimeSpan> cpu) => string.Join(", ", cpu.Select(c => $"{c.Key} {Seconds(c.Value)} s"));
static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

var drains = new List<DrainResult>();
var ceilings = new List<CeilingResult>();
var ingests = new List<IngestResult>();
var work = Directory.CreateTempSubdirectory("edgestore-upbench-backlog-").FullName;
try
{
    if (options.Parts.Contains("drain"))
    {
        var backlog = await BacklogDatabase.CreateAsync(options, work, options.Rows);
        for (var run = 0; run < options.Repeat; run++)
        {
            foreach (var inflight in options.BrokerInflight)
            {
                Console.Write($"drain, upstream max_inflight_messages {UplinkBenchOptions.Describe(inflight)}: ");
                try
                {
                    var r = await new DrainRun(options, backlog, options.Rows, inflight).RunAsync();
                    drains.Add(r);
                    Console.WriteLine(string.Create(culture,
                        $"window {r.Window}, received {r.Received:N0} of {r.Rows:N0}{(r.Complete ? "" : " (INCOMPLETE)")}, first→last {Seconds(r.FirstToLast)} s = {r.RowsPerSecond:N0} rows/s, connected→last {Seconds(r.ConnectedToLast)} s = {r.RowsPerSecondFromConnect:N0} rows/s, daemon {r.DaemonCpuSecondsPer1000Rows * 1000:0.00} CPU ms per 1000 rows, peak RssAnon {r.PeakRssAnonKiB / 1024.0:0.0} MiB, VmHWM {r.PeakVmHwmKiB / 1024.0:0.0} MiB, status forwarded {r.Forwarded?.ToString(culture) ?? "-"}, daemon exit {r.DaemonExitCode}"));
                    Console.WriteLine($"  CPU: {CpuList(r.Cpu)}");
                    Console.WriteLine("  daemon CPU by thread: " + string.Join(", ", r.DaemonThreads.Take(6).Select(t => $"{t.Thread} {Seconds(t.Cpu)} s")));
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
                {
                    Console.WriteLine($"FAILED: {e.Message}");
                }

                if (options.Parts.Contains("ceiling"))
                {
                    foreach (var publisher in (string[])[BrokerCeilingRun.InProcess, BrokerCeilingRun.Mqttnet, BrokerCeilingRun.MosquittoPub])
                    {
                        Console.Write($"ceiling ({publisher}), upstream max_inflight_messages {UplinkBenchOptions.Describe(inflight)}: ");
                        try
                        {
                            var c = await new BrokerCeilingRun(options, options.Rows, inflight).RunAsync(publisher);
                            ceilings.Add(c);
                            Console.WriteLine(string.Create(culture,
                                $"received {c.Received:N0} of {c.Messages:N0}{(c.Complete ? "" : " (INCOMPLETE)")}, first→last {Seconds(c.FirstToLast)} s = {c.MessagesPerSecond:N0} msg/s; CPU: {CpuList(c.Cpu)}"));
                        }
                        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
                        {
                            Console.WriteLine($"FAILED: {e.Message}");
                        }
                    }
                }
            }
        }
    }

    if (options.Parts.Contains("ingest"))
    {
        for (var run = 0; run < options.Repeat; run++)
        {
            foreach (var uplink in (bool[])[false, true])
            {
                Console.Write($"ingest, uplink {(uplink ? $"forwarding (upstream max_inflight_messages {UplinkBenchOptions.Describe(options.IngestBrokerInflight)})" : "disabled")}: ");
                try
                {
                    var r = await new IngestCostRun(options, uplink).RunAsync();
                    ingests.Add(r);
                    Console.WriteLine(string.Create(culture,
                        $"stored {r.Stored:N0} of {r.Published:N0} in {Seconds(r.Window)} s = {r.RowsPerSecond:N0} rows/s{(r.TimedOut ? " (TIMED OUT)" : "")}, forwarded when ingest ended {r.ForwardedAtIngestEnd:N0}, at the end {r.ForwardedAtEnd:N0} (status {r.StatusForwarded?.ToString(culture) ?? "-"}), catch-up after ingest {Seconds(r.CatchUp)} s, peak RssAnon {r.PeakRssAnonKiB / 1024.0:0.0} MiB"));
                    Console.WriteLine($"  CPU during ingest: {CpuList(r.Cpu)}");
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
                {
                    Console.WriteLine($"FAILED: {e.Message}");
                }
            }
        }
    }
}
finally
{
    Directory.Delete(work, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"medians of {options.Repeat} run(s):");
if (drains.Count > 0)
{
    Console.WriteLine("| upstream max_inflight_messages | window | rows | drain rows/s (first→last) | rows/s (connected→last) | daemon CPU ms / 1000 rows | peak RssAnon MiB | CPU s daemon / broker / subscriber | plain publisher msg/s (EdgeStore.Mqtt / MQTTnet 5.2 / mosquitto_pub) |");
    Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
    foreach (var group in drains.GroupBy(d => d.BrokerInflight))
    {
        var inflight = group.Key;
        string Ceiling(string publisher)
        {
            var runs = ceilings.Where(c => c.BrokerInflight == inflight && c.Publisher == publisher).ToList();
            return runs.Count == 0 ? "-" : Median(runs.Select(c => c.MessagesPerSecond)).ToString("N0", culture);
        }

        Console.WriteLine(string.Create(culture,
            $"| {UplinkBenchOptions.Describe(inflight)} | {string.Join("/", group.Select(d => d.Window).Distinct())} | {group.First().Rows:N0} | {Median(group.Select(d => d.RowsPerSecond)):N0} | {Median(group.Select(d => d.RowsPerSecondFromConnect)):N0} | {Median(group.Select(d => d.DaemonCpuSecondsPer1000Rows * 1000)):0.00} | {Median(group.Select(d => d.PeakRssAnonKiB / 1024.0)):0.0} | {Median(group.Select(d => d.Cpu["daemon"].TotalSeconds)):0.0} / {Median(group.Select(d => d.Cpu["upstream broker"].TotalSeconds)):0.0} / {Median(group.Select(d => d.Cpu["bench (subscriber)"].TotalSeconds)):0.0} | {Ceiling(BrokerCeilingRun.InProcess)} / {Ceiling(BrokerCeilingRun.Mqttnet)} / {Ceiling(BrokerCeilingRun.MosquittoPub)} |"));
    }
}

if (ingests.Count > 0)
{
    var off = Median(ingests.Where(i => !i.Uplink).Select(i => i.RowsPerSecond));
    var on = Median(ingests.Where(i => i.Uplink).Select(i => i.RowsPerSecond));
    Console.WriteLine(string.Create(culture,
        $"ingest stored rows/s: uplink disabled {off:N0}, uplink forwarding {on:N0}, difference {on - off:N0} ({(on - off) / off:P1}); forwarded when ingest ended (median) {Median(ingests.Where(i => i.Uplink).Select(i => (double)i.ForwardedAtIngestEnd)):N0}, at the end {Median(ingests.Where(i => i.Uplink).Select(i => (double)i.ForwardedAtEnd)):N0}"));
}

Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
return 0;
