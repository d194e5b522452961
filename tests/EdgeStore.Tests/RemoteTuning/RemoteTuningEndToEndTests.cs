using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;
using EdgeStore.Testing;

namespace EdgeStore.Tests.RemoteTuning;

/// <summary>
/// Remote tuning against the built daemon and a real mosquitto (docs/ARCHITECTURE.md, C4): documents change what the daemon does,
/// bad ones change nothing, the tuning survives a restart and is in force before the first message is stored, and
/// a change followed by a lost broker is rolled back.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed partial class RemoteTuningEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ReportTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_desired_document_changes_the_running_daemon_and_is_persisted()
    {
        await using var scenario = new DaemonScenario(output, "tune-live");
        scenario.Environment["EDGESTORE__METRICS__INTERVALSECONDS"] = "5";
        var node = scenario.ClientId;
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await using var operatorClient = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-live");
        var initial = await operatorClient.WaitForReportAsync(node, 0, "applied", ReportTimeout);
        Assert.Equal(2000, (int)initial["effective"]!["ingest"]!["maxBatchRows"]!);
        await operatorClient.WaitForTextAsync($"edgestore/{node}/state", "online", ReportTimeout);

        await operatorClient.PublishAsync($"edgestore/{node}/config/desired", """
            {"version": 1, "config": {"ingest": {"maxBatchRows": 7, "maxBatchLatencyMs": 3000},
             "storage": {"mmapSizeMiB": 1048576, "durability": "Full"}, "logging": {"level": "Debug"}}}
            """, retain: true);

        var report = await operatorClient.WaitForReportAsync(node, 1, "applied", ReportTimeout);
        var effective = report["effective"]!;
        Assert.Equal(7, (int)effective["ingest"]!["maxBatchRows"]!);
        Assert.Equal(3000, (int)effective["ingest"]!["maxBatchLatencyMs"]!);
        Assert.Equal("Full", (string?)effective["storage"]!["durability"]);
        var clamp = Assert.Single(report["clamped"]!.AsArray());
        Assert.Equal("storage.mmapSizeMiB", (string?)clamp!["path"]);
        var mmapMiB = (long)effective["storage"]!["mmapSizeMiB"]!;
        Assert.True(mmapMiB < 1048576 && mmapMiB == (long)clamp["applied"]!, report.ToJsonString());

        // Persisted next to the database.
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(scenario.Directory, "data", "edgestore.tuning.json")))!;
        Assert.Equal(1, (long)state["applied"]!["version"]!);
        Assert.Equal(7, (int)state["applied"]!["config"]!["ingest.maxBatchRows"]!);

        // Behaviour: batches now close at 7 rows (and the Debug level, also tuned live, shows each commit).
        var mark = daemon.LineCount;
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-1/telemetry", Enumerable.Range(1, 20).Select(i => $"{{\"seq\":{i},\"t\":{i}}}"));
        Assert.Equal(20, await scenario.Store.WaitForMessagesAsync(20, DaemonScenario.DrainTimeout));
        var batches = await WaitForCommittedRowsAsync(daemon, mark, 20);
        Assert.True(batches.Sum() == 20 && batches.Max() == 7, $"batches: {string.Join(", ", batches)}");

        // Metrics report the tuning in force, and a memory-map limit within the clamped ceiling (the memory governor may
        // hold it lower while the machine is under pressure, as a busy test machine often is).
        // Every one of the 20 is acknowledged: the newest QoS 1 acknowledgement is held back until the writer has idled
        // for a second (docs/CONFIGURATION.md, "Redelivery"), so a sample taken right after the commit may show 19.
        var metrics = await operatorClient.WaitForJsonAsync($"edgestore/{node}/metrics", m => (long?)m["tuningVersion"] == 1 && (long?)m["rowsStored"] == 20 && (long?)m["acknowledged"] == 20, ReportTimeout);
        Assert.InRange((long)metrics["mmapLimitBytes"]!, 0, mmapMiB * 1024 * 1024);
        Assert.Equal(20, (long)metrics["acknowledged"]!);

        // A maintenance command is answered on its result topic with the request's id and the pass it ran. `edgestore run`
        // always registers the maintenance scheduler (RunCommand), so "unavailable" (no scheduler) cannot be an answer here,
        // and a pass that fails is reported "completed" with its stoppedBecause: only "completed" is right.
        await operatorClient.PublishAsync($"edgestore/{node}/cmd/maintenance", """{"id": "req-1"}""");
        var result = await operatorClient.WaitForJsonAsync($"edgestore/{node}/cmd/maintenance/result", r => (string?)r["id"] == "req-1", TimeSpan.FromSeconds(120));
        Assert.True((string?)result["status"] == "completed", result.ToJsonString());
        Assert.Equal("on-demand", (string?)result["result"]!["trigger"]);

        // `edgestore config show` names the remote values as such.
        var show = await EdgeStoreProcess.RunAsync(["config", "show"], TimeSpan.FromSeconds(60), scenario.DaemonEnvironment(), scenario.Directory, output);
        Assert.Equal(0, show.ExitCode);
        Assert.Matches(@"Ingest:MaxBatchRows\s+7\s+remote", show.Output);
        Assert.Matches(@"Storage:Durability\s+Full\s+remote", show.Output);
        Assert.Matches(@"Mqtt:Port\s+\d+\s+environment", show.Output);
        Assert.Matches(@"Ingest:QueueCapacity\s+20000\s+default", show.Output);
        show.WriteOutputOnDispose = false;

        await DaemonScenario.StopCleanlyAsync(daemon);
        await operatorClient.WaitForTextAsync($"edgestore/{node}/state", "offline", ReportTimeout);
        await using var late = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-late");
        Assert.True(await late.WaitForTextAsync($"edgestore/{node}/state", "offline", ReportTimeout), "state must be retained");
        Assert.Equal(1, (long)(await late.WaitForReportAsync(node, 1, "applied", ReportTimeout))["appliedVersion"]!);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task Invalid_documents_are_rejected_with_reasons_and_change_nothing()
    {
        await using var scenario = new DaemonScenario(output, "tune-invalid");
        var node = scenario.ClientId;
        var desired = $"edgestore/{node}/config/desired";
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await using var operatorClient = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-invalid");
        await operatorClient.PublishAsync(desired, """{"version": 1, "config": {"ingest": {"maxBatchRows": 11}}}""");
        await operatorClient.WaitForReportAsync(node, 1, "applied", ReportTimeout);
        var statePath = Path.Combine(scenario.Directory, "data", "edgestore.tuning.json");

        async Task Rejected(string payload, long? version, string path, string code)
        {
            await operatorClient.PublishAsync(desired, payload);
            var report = await operatorClient.WaitForJsonAsync(
                $"edgestore/{node}/config/reported",
                r => (string?)r["status"] == "rejected" && (long?)r["version"] == version
                    && r["errors"]!.AsArray().Any(e => (string?)e!["path"] == path && (string?)e["code"] == code),
                ReportTimeout);
            Assert.Equal(1, (long)report["appliedVersion"]!);
            Assert.Equal(11, (int)report["effective"]!["ingest"]!["maxBatchRows"]!);
            Assert.False(string.IsNullOrWhiteSpace((string?)report["errors"]![0]!["message"]));
        }

        await Rejected("""{"version": 2, "config": {"ingest": {"maxBatchRows": "many"}}}""", 2, "ingest.maxBatchRows", "wrong_type");
        await Rejected("""{"version": 3, "config": {"storage": {"cacheSizeMiB": 0}}}""", 3, "storage.cacheSizeMiB", "out_of_range");
        await Rejected("""{"version": 4, "config": {"ingest": {"turbo": true}}}""", 4, "ingest.turbo", "unknown_field");
        await Rejected("""{"version": 5, "config": {"storage": {"path": "/tmp/elsewhere.db"}, "mqtt": {"host": "203.0.113.9"}}}""", 5, "mqtt.host", "not_tunable");
        await Rejected("this is {not json", null, string.Empty, "not_json");
        var huge = """{"version": 6, "config": {"logging": {"level": "Debug"}}, "padding": """ + "\"" + new string('x', 1024 * 1024) + "\"}";
        await Rejected(huge, null, string.Empty, "too_large");
        await Rejected("""{"version": 4, "config": {"ingest": {"maxBatchRows": 99}}}""", 4, "version", "stale_version");

        var state = JsonNode.Parse(File.ReadAllText(statePath))!;
        Assert.Equal(1, (long)state["applied"]!["version"]!);
        Assert.Equal(11, (int)state["applied"]!["config"]!["ingest.maxBatchRows"]!);
        Assert.Single(state["applied"]!["config"]!.AsObject());
        Assert.False(daemon.HasExited);
        Assert.False(daemon.HasOutput("version 6"), "the oversized document must not be parsed");
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task After_a_restart_the_tuned_values_are_in_force_before_the_first_message_is_stored()
    {
        await using var scenario = new DaemonScenario(output, "tune-restart");
        var node = scenario.ClientId;
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await using (var operatorClient = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-restart"))
        {
            await operatorClient.PublishAsync($"edgestore/{node}/config/desired", """
                {"version": 9, "config": {"ingest": {"maxBatchRows": 3, "maxBatchLatencyMs": 2000}, "logging": {"level": "Debug"}}}
                """, retain: true);
            await operatorClient.WaitForReportAsync(node, 9, "applied", ReportTimeout);
        }

        await DaemonScenario.StopCleanlyAsync(daemon);

        // Queued by the broker for the persistent session while the daemon is down: they arrive at once on connect.
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-2/telemetry", Enumerable.Range(1, 10).Select(i => $"{{\"seq\":{i}}}"));
        var restarted = scenario.StartDaemon();
        Assert.Equal(10, await scenario.Store.WaitForMessagesAsync(10, DaemonScenario.DrainTimeout));
        var batches = await WaitForCommittedRowsAsync(restarted, 0, 10);

        var restoredAt = Line(restarted, "restored from");
        var openedAt = Line(restarted, "open (schema version");
        Assert.True(restoredAt >= 0 && restoredAt < openedAt, restarted.Dump());
        Assert.Contains("batches of up to 3 rows or 2000 ms", restarted.Output, StringComparison.Ordinal);
        Assert.True(batches.Sum() == 10 && batches.Max() == 3, $"batches: {string.Join(", ", batches)}");

        await using (var operatorClient = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-restart-2"))
        {
            var report = await operatorClient.WaitForReportAsync(node, 9, "applied", ReportTimeout);
            Assert.Equal(3, (int)report["effective"]!["ingest"]!["maxBatchRows"]!);
        }

        Assert.False(restarted.HasOutput("Remote tuning version 9 applied"), "the retained document must not be applied twice");
        await DaemonScenario.StopCleanlyAsync(restarted);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task A_change_followed_by_a_lost_broker_is_rolled_back_and_reported()
    {
        await using var scenario = new DaemonScenario(output, "tune-rollback");
        scenario.Environment["EDGESTORE__REMOTETUNING__PROBATIONSECONDS"] = "300";
        scenario.Environment["EDGESTORE__REMOTETUNING__ROLLBACKAFTERSECONDS"] = "3";
        var node = scenario.ClientId;
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await using (var operatorClient = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-rollback"))
        {
            await operatorClient.PublishAsync($"edgestore/{node}/config/desired", """{"version": 2, "config": {"ingest": {"maxBatchRows": 5}}}""", retain: true);
            await operatorClient.WaitForReportAsync(node, 2, "applied", ReportTimeout);
        }

        var mark = daemon.LineCount;
        scenario.Broker.Stop();
        await daemon.WaitForOutputAsync("Remote tuning version 2 rolled back to version 0", ReportTimeout, mark);
        scenario.Broker.StartAgain();
        await daemon.WaitForOutputAsync(DaemonScenario.SubscribedLine, DaemonScenario.StartTimeout, mark);

        await using (var operatorClient = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-rollback-2"))
        {
            var report = await operatorClient.WaitForReportAsync(node, 2, "rolled_back", ReportTimeout);
            Assert.Equal(0, (long)report["appliedVersion"]!);
            Assert.Equal(2000, (int)report["effective"]!["ingest"]!["maxBatchRows"]!);
            Assert.Contains("broker", (string?)report["reason"], StringComparison.Ordinal);
        }

        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(scenario.Directory, "data", "edgestore.tuning.json")))!;
        Assert.Equal("rolled_back", (string?)state["status"]);
        Assert.Equal(2, (long)state["highestVersion"]!);
        Assert.Null(state["applied"]);

        // The retained document that caused it came back with the reconnect and was not applied again; ingestion works.
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-3/telemetry", Enumerable.Range(1, 12).Select(i => $"{{\"seq\":{i}}}"));
        Assert.Equal(12, await scenario.Store.WaitForMessagesAsync(12, DaemonScenario.DrainTimeout));
        Assert.False(daemon.HasOutput("Remote tuning version 2 applied", mark));
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task A_corpus_of_random_and_hostile_documents_never_stops_the_daemon_nor_ingestion()
    {
        const int devices = 10;
        const int messages = 3000;
        await using var scenario = new DaemonScenario(output, "tune-hostile");
        var node = scenario.ClientId;
        var daemon = await scenario.StartSubscribedDaemonAsync();
        var sensors = scenario.StartSensors(devices, messages, ratePerSecond: 300); // disposed by the scenario
        await using (var attacker = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "hostile-tool"))
        {
            var kinds = new Dictionary<string, int>();
            foreach (var (kind, payload) in HostileDocuments.Generate(seed: 20261122, count: 150))
            {
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                await attacker.PublishAsync($"edgestore/{node}/config/desired", payload);
            }

            output.WriteLine("corpus: " + string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}")));
            Assert.All(new[] { "bytes", "json", "shape", "valid", "extreme", "oversized" }, k => Assert.True(kinds.GetValueOrDefault(k) > 0, $"no {k} documents"));

            // Still listening and still correct: a final valid document (versions in the corpus stay far below) applies.
            await attacker.PublishAsync($"edgestore/{node}/config/desired", """{"version": 10000000, "config": {"ingest": {"maxBatchRows": 2000, "maxBatchLatencyMs": 20}, "logging": {"level": "Information"}}}""");
            var final = await attacker.WaitForReportAsync(node, 10_000_000, "applied", TimeSpan.FromSeconds(120));
            Assert.Equal(2000, (int)final["effective"]!["ingest"]!["maxBatchRows"]!);
        }

        var published = await sensors.WaitPublishedAsync(DaemonScenario.DrainTimeout);
        Assert.Equal(messages, published);
        Assert.Equal(messages, await scenario.Store.WaitForMessagesAsync(messages, DaemonScenario.DrainTimeout));
        Assert.False(daemon.HasExited, daemon.Dump());
        Assert.False(daemon.HasOutput("Remote tuning loop failed"), daemon.Dump());
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.AssertEveryMessageOnce(messages, devices);
        scenario.MarkPassed();
    }

    /// <summary>The sizes of the batches committed after <paramref name="afterLine"/>, once they add up to <paramref name="rows"/> (Debug log lines).</summary>
    private static Task<List<int>> WaitForCommittedRowsAsync(EdgeStoreProcess daemon, long afterLine, int rows) =>
        Wait.ForAsync(() => CommittedBatches(daemon, afterLine), batches => batches.Sum() >= rows, ReportTimeout, $"batches committing {rows} rows");

    private static List<int> CommittedBatches(EdgeStoreProcess daemon, long afterLine) =>
        daemon.LinesAfter(afterLine)
            .Select(line => CommittedPattern().Match(line))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToList();

    private static int Line(EdgeStoreProcess daemon, string text) =>
        Array.FindIndex(daemon.Output.Split('\n'), l => l.Contains(text, StringComparison.Ordinal));

    [GeneratedRegex(@"Committed (\d+) rows")]
    private static partial Regex CommittedPattern();
}
