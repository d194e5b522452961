using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using EdgeStore.Storage.Maintenance;
using EdgeStore.Testing;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;

namespace EdgeStore.Tests.Maintenance;

/// <summary>The real daemon against a real mosquitto: safe mode after kill -9, backup while ingesting, windows under QoS 1 load.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed partial class DaemonMaintenanceTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-daemon-maint-").FullName;
    private readonly MosquittoBroker _broker = MosquittoBroker.Start();

    public void Dispose()
    {
        _broker.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string DatabasePath => Path.Combine(_directory, "edgestore.db");

    private Dictionary<string, string?> Environment(params (string Name, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["EDGESTORE__STORAGE__PATH"] = DatabasePath,
            ["EDGESTORE__MQTT__PORT"] = _broker.Port.ToString(CultureInfo.InvariantCulture),
            ["EDGESTORE__MQTT__CLIENTID"] = "maint-test-" + Path.GetFileName(_directory),
            ["EDGESTORE__NODE__ID"] = "maint-test",
            ["EDGESTORE__STORAGE__MMAPSIZEMIB"] = "64",
            ["EDGESTORE__STORAGE__MINFREEBYTES"] = "1048576",
            ["EDGESTORE__STORAGE__MINFREEPERCENT"] = "0",
        };
        foreach (var (name, value) in extra)
        {
            environment[name] = value;
        }

        return environment;
    }

    private async Task<int> SimulateAsync(params string[] arguments)
    {
        var (exit, text) = await RunAsync(Environment(), TimeSpan.FromMinutes(3), ["simulate", "--port", _broker.Port.ToString(CultureInfo.InvariantCulture), .. arguments]);
        Assert.True(exit == 0, text);
        var match = PublishedLine().Match(text);
        Assert.True(match.Success, text);
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private long CountRows()
    {
        using var connection = EdgeStore.Storage.SqliteConnectionFactory.OpenReadOnly(DatabasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM messages";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private async Task WaitForRowsAsync(long expected)
    {
        await Wait.ForAsync(CountRows, rows => rows >= expected, Patience, $"{expected} rows stored");
        Assert.Equal(expected, CountRows());
    }

    /// <summary>Runs an `edgestore` command to completion; its exit code and output.</summary>
    private async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] arguments)
    {
        await using var command = await EdgeStoreProcess.RunAsync(arguments, timeout, environment, _directory, output);
        command.WriteOutputOnDispose = false;
        return (command.ExitCode!.Value, command.Output);
    }

    private EdgeStoreProcess StartDaemon(IReadOnlyDictionary<string, string?> environment) =>
        EdgeStoreProcess.Start(["run"], environment, _directory, output);

    [Fact]
    public async Task Repeated_kill_9_starts_the_daemon_in_storage_safe_mode_with_no_mapping_until_cleared()
    {
        var environment = Environment(("EDGESTORE__SAFEMODE__UNCLEANEXITS", "2"));
        var stored = 0;
        for (var run = 0; run < 2; run++)
        {
            await using var dying = StartDaemon(environment);
            await dying.WaitForOutputAsync("Subscribed to", Patience);
            Assert.DoesNotContain("Storage-safe mode", dying.Output, StringComparison.Ordinal);
            stored += await SimulateAsync("--count", "300", "--qos", "1", "--devices", "5", "--rate", "0");
            await WaitForRowsAsync(stored);
            dying.Signal(UnixSignal.SigKill);
            Assert.Equal(137, await dying.WaitForExitAsync(Patience));
        }

        await using (var safe = StartDaemon(environment))
        {
            await safe.WaitForOutputAsync("Subscribed to", Patience);
            Assert.Contains("Storage-safe mode", safe.Output, StringComparison.Ordinal);
            Assert.Contains("mmap limit 0 MiB", safe.Output, StringComparison.Ordinal);
            stored += await SimulateAsync("--count", "500", "--qos", "1", "--devices", "5", "--rate", "0");
            await WaitForRowsAsync(stored);
            var maps = await File.ReadAllTextAsync($"/proc/{safe.ProcessId}/maps");
            Assert.DoesNotContain(DatabasePath + "\n", maps, StringComparison.Ordinal);

            // safe-mode show speaks for the running daemon as status does (status.json is rewritten every 5 s).
            var (_, whileRunning) = await Wait.ForAsync(
                () => RunAsync(environment, Patience, "safe-mode", "show"),
                result => result.Output.Contains($"running daemon (PID {safe.ProcessId}): storage-safe mode ON", StringComparison.Ordinal),
                Patience,
                "safe-mode show naming the running daemon in safe mode");
            Assert.Contains("the next start stays in storage-safe mode", whileRunning, StringComparison.Ordinal);
            safe.Signal(UnixSignal.SigTerm);
            Assert.Equal(0, await safe.WaitForExitAsync(Patience));
        }

        var (showExit, shown) = await RunAsync(environment, Patience, "safe-mode", "show");
        Assert.Equal(0, showExit);
        Assert.Contains("the next start stays in storage-safe mode (on since", shown, StringComparison.Ordinal);
        Assert.Contains("no running daemon", shown, StringComparison.Ordinal);
        var (clearExit, cleared) = await RunAsync(environment, Patience, "safe-mode", "clear");
        Assert.True(clearExit == 0, cleared);

        await using (var normal = StartDaemon(environment))
        {
            await normal.WaitForOutputAsync("Subscribed to", Patience);
            Assert.DoesNotContain("Storage-safe mode", normal.Output, StringComparison.Ordinal);
            Assert.Contains("mmap limit 64 MiB", normal.Output, StringComparison.Ordinal);
            normal.Signal(UnixSignal.SigTerm);
            Assert.Equal(0, await normal.WaitForExitAsync(Patience));
        }

        Assert.Equal(stored, CountRows());
        Assert.False(File.Exists(Path.Combine(_directory, "edgestore.running")));
    }

    [Fact]
    public async Task Backup_command_while_the_daemon_ingests_holds_every_row_committed_before_it()
    {
        var environment = Environment();
        await using var daemon = StartDaemon(environment);
        await daemon.WaitForOutputAsync("Subscribed to", Patience);
        var first = await SimulateAsync("--count", "2000", "--qos", "1", "--devices", "10", "--rate", "0");
        await WaitForRowsAsync(first);

        var ingest = SimulateAsync("--duration", "8s", "--qos", "1", "--devices", "10", "--rate", "400");
        await Wait.UntilAsync(() => CountRows() > first, Patience, "the second stream is being stored");
        var target = Path.Combine(_directory, "backup.db");
        var (exit, text) = await RunAsync(environment, Patience, "backup", target);
        Assert.True(exit == 0, text);
        var second = await ingest;

        Assert.Equal("ok", StoreUnderLoad.IntegrityCheck(target));
        using (var copy = EdgeStore.Storage.SqliteConnectionFactory.OpenReadOnly(target))
        {
            using var command = copy.CreateCommand();
            command.CommandText = "SELECT count(*) FROM messages";
            var inBackup = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            Assert.InRange(inBackup, first, first + second);
        }

        var (again, refused) = await RunAsync(environment, Patience, "backup", target);
        Assert.Equal(2, again);
        Assert.Contains("--force", refused, StringComparison.Ordinal);

        await WaitForRowsAsync(first + second);
        daemon.Signal(UnixSignal.SigTerm);
        Assert.Equal(0, await daemon.WaitForExitAsync(Patience));
    }

    [Fact]
    public async Task Windows_under_qos1_load_with_readers_in_other_processes_lose_nothing()
    {
        // Three short windows a few seconds apart, in UTC, today.
        var now = DateTimeOffset.UtcNow;
        var extra = new List<(string, string)> { ("EDGESTORE__MAINTENANCE__TIMEZONE", "UTC"), ("EDGESTORE__MAINTENANCE__CHECKPOINTRETRYDELAY", "1s") };
        for (var i = 0; i < 3; i++)
        {
            var start = (now + TimeSpan.FromSeconds(10 + (i * 8))).UtcDateTime;
            extra.Add(($"EDGESTORE__MAINTENANCE__WINDOWS__{i}__START", start.ToString("HH:mm:ss", CultureInfo.InvariantCulture)));
            extra.Add(($"EDGESTORE__MAINTENANCE__WINDOWS__{i}__DURATION", "5s"));
            extra.Add(($"EDGESTORE__MAINTENANCE__WINDOWS__{i}__DAYS", "Daily"));
        }

        var environment = Environment([.. extra]);
        await using var daemon = StartDaemon(environment);
        await daemon.WaitForOutputAsync("Subscribed to", Patience);

        using var stop = new CancellationTokenSource();
        var readerExits = new ConcurrentQueue<int>();
        var readers = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                readerExits.Enqueue(await MaintenanceStressTests.RunSqliteShellAsync(DatabasePath, "PRAGMA busy_timeout=10000; SELECT count(*), sum(length(payload)) FROM messages;"));
                readerExits.Enqueue(await MaintenanceStressTests.RunEdgestoreQueryAsync(DatabasePath));
            }
        });

        var published = await SimulateAsync("--duration", "40s", "--qos", "1", "--devices", "20", "--rate", "500");
        await WaitForRowsAsync(published);
        await stop.CancelAsync();
        await readers;
        daemon.Signal(UnixSignal.SigTerm);
        Assert.Equal(0, await daemon.WaitForExitAsync(Patience));

        var results = daemon.Output.Split('\n').Where(line => line.Contains("Maintenance result:", StringComparison.Ordinal)).ToList();
        foreach (var line in results)
        {
            output.WriteLine(line);
        }

        output.WriteLine($"published {published}, reader runs {readerExits.Count} (exit codes {string.Join(",", readerExits.Distinct())})");
        Assert.True(results.Count >= 2, daemon.Output);
        Assert.True(results.Count(line => line.Contains("truncate checkpoint ok", StringComparison.Ordinal) && line.Contains("quick_check ok", StringComparison.Ordinal)) >= 2, daemon.Output);
        Assert.DoesNotContain(readerExits, code => code >= 128 || code < 0);
        Assert.Contains(0, readerExits);
        Assert.Equal("ok", StoreUnderLoad.IntegrityCheck(DatabasePath));
        Assert.Equal(published, CountRows());
        Assert.Equal(0, ProcessMappings.Of(DatabasePath).Count);
    }

    [GeneratedRegex(@"published (\d+) messages")]
    private static partial Regex PublishedLine();
}
