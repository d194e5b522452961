using System.Globalization;
using EdgeStore.Testing;
using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// One end-to-end setting: a real mosquitto on a free port, a temporary directory with the database,
/// and the daemon started (and restarted) with the same client id, so its persistent session survives
/// crashes and restarts. Disposal kills whatever is still running, in order: daemons, then the broker.
/// </summary>
public sealed class DaemonScenario : IAsyncDisposable
{
    /// <summary>Start-up on a loaded 2-core machine can be slow; generous, never a speed assertion.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(120);

    public const string SubscribedLine = "Subscribed to";

    private readonly ITestOutputHelper _output;
    private readonly List<EdgeStoreProcess> _processes = [];
    private bool _passed;

    /// <param name="broker">The broker to use (default: one with the test fixture's configuration); disposed with the scenario.</param>
    public DaemonScenario(ITestOutputHelper output, string clientId, MosquittoBroker? broker = null)
    {
        _output = output;
        ClientId = clientId;
        Broker = broker ?? MosquittoBroker.Start();
        Directory = System.IO.Directory.CreateTempSubdirectory("edgestore-e2e-").FullName;
        DatabasePath = Path.Combine(Directory, "data", "edgestore.db");
        Store = new StoredTelemetry(DatabasePath);
    }

    public MosquittoBroker Broker { get; }

    public string Directory { get; }

    public string DatabasePath { get; }

    public string ClientId { get; }

    public StoredTelemetry Store { get; }

    /// <summary>Extra EDGESTORE__* (or any) variables every daemon of this scenario gets.</summary>
    public Dictionary<string, string?> Environment { get; } = [];

    public Dictionary<string, string?> DaemonEnvironment()
    {
        var environment = new Dictionary<string, string?>
        {
            ["EDGESTORE__MQTT__HOST"] = "127.0.0.1",
            ["EDGESTORE__MQTT__PORT"] = Broker.Port.ToString(CultureInfo.InvariantCulture),
            ["EDGESTORE__MQTT__CLIENTID"] = ClientId,
            ["EDGESTORE__MQTT__SUBSCRIPTIONS__0__FILTER"] = "sensors/#",
            ["EDGESTORE__MQTT__SUBSCRIPTIONS__0__QOS"] = "1",
            ["EDGESTORE__STORAGE__PATH"] = DatabasePath,
            ["EDGESTORE__NODE__ID"] = ClientId,
        };
        foreach (var (name, value) in Environment)
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>Starts <c>edgestore run</c> (no config file: defaults plus the environment) without waiting.</summary>
    public EdgeStoreProcess StartDaemon()
    {
        var daemon = EdgeStoreProcess.Start(["run"], DaemonEnvironment(), Directory, _output);
        _processes.Add(daemon);
        return daemon;
    }

    /// <summary>Starts the daemon and waits until it has connected and subscribed.</summary>
    public async Task<EdgeStoreProcess> StartSubscribedDaemonAsync()
    {
        var daemon = StartDaemon();
        await daemon.WaitForOutputAsync(SubscribedLine, StartTimeout);
        return daemon;
    }

    public SimulatedSensors StartSensors(int devices, int count, int ratePerSecond, int qos = 1, string topicPrefix = "sensors")
    {
        var sensors = SimulatedSensors.Start(Broker.Port, devices, count, ratePerSecond, qos, topicPrefix, _output);
        _processes.Add(sensors.Process);
        return sensors;
    }

    /// <summary>
    /// SIGTERM, then asserts the clean-stop contract: exit code 0 (bounded wait, not a speed assertion).
    /// Returns how long the stop took, for the test log.
    /// </summary>
    public static async Task<TimeSpan> StopCleanlyAsync(EdgeStoreProcess daemon)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        daemon.Terminate();
        var exitCode = await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.True(exitCode == 0, $"edgestore run exited with {exitCode} after SIGTERM.\n{daemon.Dump()}");
        return clock.Elapsed;
    }

    /// <summary>
    /// Asserts exactly-once storage of a simulated stream: <paramref name="expectedRows"/> rows in total,
    /// <paramref name="expectedSeries"/> topics, and every topic's device sequence exactly 1..k.
    /// </summary>
    public void AssertEveryMessageOnce(long expectedRows, int expectedSeries)
    {
        var series = Store.Sequences();
        var total = series.Sum(s => s.Rows);
        var incomplete = series.Where(s => !s.IsComplete).Take(10).ToList();
        Assert.True(
            incomplete.Count == 0,
            "device sequences with gaps or duplicates: " + string.Join("; ", incomplete));
        Assert.Equal(expectedSeries, series.Count);
        Assert.Equal(expectedRows, total);
        Assert.Equal(expectedRows, Store.MessageCount());
    }

    /// <summary>Called as a test's last line: its processes' output is then not written to the test log.</summary>
    public void MarkPassed() => _passed = true;

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.WriteOutputOnDispose = !_passed;
            await process.DisposeAsync();
        }

        try
        {
            if (!_passed)
            {
                _output.WriteLine("----- mosquitto log (tail) -----\n" + Tail(Broker.ReadLog(), 60));
            }
        }
        catch (InvalidOperationException)
        {
            // Output sink already closed.
        }

        Broker.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private static string Tail(string text, int lines)
    {
        var all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }
}
