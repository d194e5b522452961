using System.Globalization;
using EdgeStore.Bench.Ingest;

// A benchmark program, never a test: it prints figures and exits 0 unless it could not run at all.
if (args is ["--window-probe"])
{
    await InflightWindowProbe.PrintAsync();
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var culture = CultureInfo.InvariantCulture;
if (options.Mode != BenchMode.Scenarios)
{
    Console.WriteLine(string.Create(culture, $"edgestore ingest bench, {options.Mode.ToString().ToLowerInvariant()} mode: {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:u}, mosquitto {MosquittoVersion()}"));
    Console.WriteLine($"AOT: {options.EdgeStoreAotPath}");
    Console.WriteLine($"JIT: {options.EdgeStoreJitPath}");
    if (options.Mode == BenchMode.Compare)
    {
        Console.WriteLine($"MQTTnet subscriber: {options.MqttNetStorePath}");
        Console.WriteLine($"publisher: {options.EdgeStorePath} simulate --devices {options.Devices} --count {options.Messages} --rate 0");
    }

    Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
    await (options.Mode switch
    {
        BenchMode.Compare => CompareRun.PrintAsync(options),
        BenchMode.Reconnects => ReconnectRun.PrintAsync(options),
        _ => StartupRun.PrintAsync(options),
    });
    Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
    return 0;
}

Console.WriteLine(string.Create(culture, $"edgestore ingest bench: {options.Messages} messages from {options.Devices} devices per run, {Environment.ProcessorCount} cores, {DateTimeOffset.UtcNow:u}"));
Console.WriteLine($"daemon: {options.EdgeStorePath}");
Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
if (options.DaemonEnvironment.Count > 0)
{
    Console.WriteLine("daemon settings: " + string.Join(' ', options.DaemonEnvironment.Select(e => $"{e.Key}={e.Value}")));
}

var results = new List<BenchResult>();
foreach (var scenario in options.Scenarios)
{
    for (var run = 0; run < options.Repeat; run++)
    {
        Console.Write($"{scenario.Name}: ");
        try
        {
            var result = await new IngestRun(options, scenario).RunAsync();
            results.Add(result);
            Console.WriteLine(string.Create(culture, $"{result.RowsPerSecond:N0} rows/s, stored {result.Stored} of {result.Published}, missing {result.Missing}, duplicates {result.Duplicates}, peak anon {result.PeakRssAnonKiB / 1024.0:0.0} MiB, daemon exit {result.DaemonExitCode}, broker drop warnings {result.BrokerDropWarnings}{(result.TimedOut ? " (TIMED OUT)" : "")}"));
            if (result.Profile is not null)
            {
                Console.WriteLine(result.Profile);
            }

            Console.WriteLine("  daemon CPU by thread: " + string.Join(", ", result.DaemonThreads.Take(6).Select(t => string.Create(culture, $"{t.Thread} {t.Cpu.TotalSeconds:0.00} s"))));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            Console.WriteLine($"FAILED: {e.Message}");
        }
    }
}

Console.WriteLine();
Console.WriteLine("| scenario | durability | QoS | broker inflight | MQTT | receive max | published | stored | missing | dup | stored rows/s | publisher msg/s | peak RssAnon MiB | peak RssFile MiB | VmHWM MiB | CPU s daemon / broker / publisher | window s |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
foreach (var r in results)
{
    var s = r.Scenario;
    string Cpu(string name) => r.Cpu.TryGetValue(name, out var t) ? t.TotalSeconds.ToString("0.0", culture) : "-";
    Console.WriteLine(string.Create(culture,
        $"| {s.Name}{(r.TimedOut ? " (timed out)" : "")} | {s.Durability} | {s.Qos} | {(s.BrokerInflight == 0 ? "unlimited" : s.BrokerInflight.ToString(culture))} | {(s.ProtocolVersion == 5 ? "5" : "3.1.1")} | {(s.ProtocolVersion == 4 ? "-" : s.ReceiveMaximum?.ToString(culture) ?? "65535 (not sent)")} | {r.Published} | {r.Stored} | {r.Missing} | {r.Duplicates} | {r.RowsPerSecond:N0} | {(r.PublisherRatePerSecond > 0 ? r.PublisherRatePerSecond.ToString("N0", culture) : "-")} | {r.PeakRssAnonKiB / 1024.0:0.0} | {r.PeakRssFileKiB / 1024.0:0.0} | {r.PeakVmHwmKiB / 1024.0:0.0} | {Cpu("daemon")} / {Cpu("broker")} / {Cpu("publisher")} | {r.StoreWindow.TotalSeconds:0.00} |"));
}

Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
return 0;

static string MosquittoVersion()
{
    var path = EdgeStore.Testing.MosquittoBroker.FindMosquitto();
    if (path is null)
    {
        return "(not installed)";
    }

    using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(path, ["-h"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
    var first = process.StandardOutput.ReadLine() ?? "";
    process.WaitForExit(5_000);
    return first.Replace("mosquitto version ", "", StringComparison.Ordinal).Trim();
}
