using System.Globalization;
using System.Text.RegularExpressions;
using EdgeStore.Storage;
using EdgeStore.Testing;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;

namespace EdgeStore.Tests.Memory;

/// <summary>
/// Real pressure, not simulated: the built daemon runs in a memory cgroup limited to 300 MiB, beside a process in
/// the same cgroup that thrashes mapped reads over a file larger than the limit (an anonymous hog would only be
/// OOM-killed). Telemetry keeps arriving over a real mosquitto. The daemon must see the pressure, lower mmap (and
/// cache at Critical), keep storing every message, and not be OOM-killed. Needs root (cgroups) and python3; where
/// they are missing it is reported skipped with the reason, and under CI (root, python3 installed) it always runs.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class RealPressureTests
{
    private const long MiB = 1024 * 1024;
    private const long CgroupLimitBytes = 300 * MiB;
    private const long ThrashFileBytes = 700 * MiB;

    // Mapped random reads, one byte per page, over a file the cgroup cannot hold: constant refaults.
    // The file's pages are dropped from the cache first, so they are charged to this cgroup when read back.
    private const string ThrashScript = """
        import mmap, os, random, sys, time
        path, seconds = sys.argv[1], float(sys.argv[2])
        f = open(path, 'rb')
        size = os.fstat(f.fileno()).st_size
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        m = mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ)
        end = time.time() + seconds
        touched = 0
        while time.time() < end:
            for _ in range(512):
                touched += m[random.randrange(0, size // 4096) * 4096] >= 0
        print('thrash touched', touched, 'pages')
        """;

    private readonly ITestOutputHelper _output;

    public RealPressureTests(ITestOutputHelper output) => _output = output;

    [MachineFact(root: true, "python3")]
    public async Task Daemon_in_a_thrashing_cgroup_lowers_mmap_keeps_ingesting_and_survives()
    {
        // The thrashing load is a python mmap loop. Under CI MachineFact does not skip: a missing requirement fails here.
        var python = MachineRequirements.FindOnPath("python3")
            ?? throw new InvalidOperationException(MachineRequirements.WhyNot(root: true, "python3"));
        using var sandbox = MemoryCgroupSandbox.TryCreate(CgroupLimitBytes, out var whyNot)
            ?? throw new InvalidOperationException($"no memory cgroup could be made for the test: {whyNot}");

        _output.WriteLine($"cgroups: v1 {sandbox.V1Directory ?? "-"}, v2 {sandbox.V2Directory ?? "-"}; limit {CgroupLimitBytes} bytes");
        var work = Directory.CreateTempSubdirectory("edgestore-realpressure-").FullName;
        try
        {
            await RunAsync(sandbox, work, python);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private async Task RunAsync(MemoryCgroupSandbox sandbox, string work, string python)
    {
        var databasePath = Path.Combine(work, "telemetry.db");
        var scriptPath = Path.Combine(work, "thrash.py");
        var bigFile = Path.Combine(work, "thrash.bin");
        var configPath = Path.Combine(work, "edgestore.json");
        await File.WriteAllTextAsync(configPath, "{}");
        await File.WriteAllTextAsync(scriptPath, ThrashScript);
        WriteFile(bigFile, ThrashFileBytes);
        var oomKillsBefore = sandbox.OomKills();

        using var broker = MosquittoBroker.Start();
        var environment = new Dictionary<string, string?>
        {
            ["EDGESTORE__MQTT__PORT"] = broker.Port.ToString(CultureInfo.InvariantCulture),
            ["EDGESTORE__MQTT__CLIENTID"] = "edgestore-realpressure",
            ["EDGESTORE__STORAGE__PATH"] = databasePath,
            ["EDGESTORE__STORAGE__MMAPSIZEMIB"] = "64",
            ["EDGESTORE__NODE__ID"] = "realpressure",
            ["EDGESTORE__MEMORY__POLLINTERVALMS"] = "500",
            ["EDGESTORE__MEMORY__STEPDOWNHOLDSECONDS"] = "5",
            ["EDGESTORE__MEMORY__CALMPERIODSECONDS"] = "5",
            ["DOTNET_gcServer"] = "0",
        };
        await using var daemon = EdgeStoreProcess.Start(["run", "--config", configPath], environment, work, _output, sandbox.Launcher);
        await daemon.WaitForOutputAsync("Subscribed to", TimeSpan.FromSeconds(60));
        AssertInCgroup(daemon.ProcessId, sandbox);

        // Telemetry throughout: QoS 1 at 200 msg/s for 60 s, from outside the cgroup.
        await using var simulate = EdgeStoreProcess.Start(
            ["simulate", "--port", broker.Port.ToString(CultureInfo.InvariantCulture), "--devices", "20", "--rate", "200", "--duration", "60s", "--qos", "1"],
            testOutput: _output);
        var rowsBeforePressure = await Wait.ForAsync(() => CountRows(databasePath), rows => rows > 0, TimeSpan.FromSeconds(60), "rows stored before the pressure");

        await using var thrash = EdgeStoreProcess.StartProgram(python, [scriptPath, bigFile, "40"], testOutput: _output, launcher: sandbox.Launcher);
        var rise = await daemon.WaitForLineAsync(l => l.Contains("Memory pressure rose from Normal to", StringComparison.Ordinal), TimeSpan.FromSeconds(60), "pressure rise");
        var lowered = await daemon.WaitForLineAsync(
            l => l.Contains("Memory limits set for", StringComparison.Ordinal) && MmapChange(l) is { } c && c.To < c.From,
            TimeSpan.FromSeconds(30), "lowered mmap limit");
        var afterLowered = daemon.LineCount;
        _output.WriteLine(rise);
        _output.WriteLine(lowered);
        _output.WriteLine($"cgroup memory.pressure during the thrash:\n{sandbox.ReadPressure()}");

        var rowsDuringPressure = CountRows(databasePath);
        Assert.True(rowsDuringPressure > rowsBeforePressure, $"rows stored while under pressure: {rowsBeforePressure} -> {rowsDuringPressure}");
        if (rise.Contains("to Critical", StringComparison.Ordinal))
        {
            var critical = await daemon.WaitForLineAsync(l => l.Contains("Memory limits set for Critical", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "Critical limits");
            Assert.Contains("-> 0 bytes, cache 8 MiB -> 2 MiB, shrink_memory True", critical, StringComparison.Ordinal);
        }

        await thrash.WaitForExitAsync(TimeSpan.FromSeconds(120)); // the thrashing load ended
        _output.WriteLine(thrash.Output);
        Assert.Equal(0, await simulate.WaitForExitAsync(TimeSpan.FromSeconds(120)));
        var published = long.Parse(Regex.Match(simulate.Output, @"published (\d+) messages").Groups[1].Value, CultureInfo.InvariantCulture);

        // Every acknowledged message is stored: wait for the backlog, then compare.
        var stored = await Wait.ForAsync(() => CountRows(databasePath), rows => rows >= published, TimeSpan.FromSeconds(60), $"all {published} published messages stored");
        Assert.Equal(published, stored);
        Assert.False(daemon.HasExited, $"the daemon is still running; output:\n{daemon.Dump()}");
        Assert.Equal(oomKillsBefore, sandbox.OomKills());

        // Pressure gone: after the hold and calm periods the governor climbs back to the configured 64 MiB.
        await daemon.WaitForLineAsync(l => l.Contains("Memory pressure fell from", StringComparison.Ordinal) && l.Contains("to Normal", StringComparison.Ordinal),
            TimeSpan.FromSeconds(120), "pressure back to Normal");
        await daemon.WaitForLineAsync(l => l.Contains("Memory limits set for Normal", StringComparison.Ordinal) && MmapChange(l) is { From: < 67108864, To: 67108864 },
            TimeSpan.FromSeconds(90), "mmap raised back to 64 MiB", afterLine: afterLowered);

        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(60))); // stopped cleanly on SIGTERM
        daemon.WriteOutputOnDispose = false;
        simulate.WriteOutputOnDispose = false;
        thrash.WriteOutputOnDispose = false;
        foreach (var line in daemon.Output.Split('\n').Where(l => l.Contains("EdgeStore.Memory", StringComparison.Ordinal)))
        {
            _output.WriteLine(line);
        }
    }

    // "mmap 256 MiB -> 128 MiB": the governor's log line prints sizes as an operator reads them.
    private static (long From, long To)? MmapChange(string line)
    {
        var match = Regex.Match(line, @"mmap ([\d.]+ (?:bytes|KiB|MiB|GiB)) -> ([\d.]+ (?:bytes|KiB|MiB|GiB))");
        return match.Success ? (Bytes(match.Groups[1].Value), Bytes(match.Groups[2].Value)) : null;
    }

    private static long Bytes(string text)
    {
        var parts = text.Split(' ');
        var unit = parts[1] switch { "KiB" => 1L << 10, "MiB" => 1L << 20, "GiB" => 1L << 30, _ => 1L };
        return (long)(double.Parse(parts[0], CultureInfo.InvariantCulture) * unit);
    }

    private static void AssertInCgroup(int pid, MemoryCgroupSandbox sandbox)
    {
        var membership = File.ReadAllText($"/proc/{pid}/cgroup");
        var name = Path.GetFileName(sandbox.V1Directory ?? sandbox.V2Directory)!;
        Assert.Contains(name, membership, StringComparison.Ordinal);
    }

    private static long CountRows(string databasePath)
    {
        using var connection = SqliteConnectionFactory.OpenReadOnly(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM messages";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void WriteFile(string path, long bytes)
    {
        var block = new byte[MiB];
        Random.Shared.NextBytes(block);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, (int)MiB);
        for (long written = 0; written < bytes; written += block.Length)
        {
            block[0]++;
            stream.Write(block);
        }

        stream.Flush(flushToDisk: true);
    }
}
