using System.Globalization;
using System.Text.RegularExpressions;
using EdgeStore.Testing;
using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// The daemon's log as an operator reads it in the journal: each MQTT connection's retries name the connection, sizes
/// are in MiB, the maintenance schedule is described rather than counted, no internal names (V500, True), and warnings
/// that are rate-limited say how many were not logged.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class OperatorLogEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Start_up_and_retry_lines_are_in_an_operators_words_and_name_their_connection()
    {
        await using var scenario = new DaemonScenario(output, "e2e-oplog");
        scenario.Broker.Stop(); // both connections (ingest and remote tuning's control) retry against the same port
        var daemon = scenario.StartDaemon();

        var port = scenario.Broker.Port.ToString(CultureInfo.InvariantCulture);
        await daemon.WaitForOutputAsync($"Cannot connect to MQTT broker 127.0.0.1:{port} as 'e2e-oplog':", DaemonScenario.StartTimeout);
        await daemon.WaitForOutputAsync($"Cannot connect to MQTT broker 127.0.0.1:{port} as 'e2e-oplog-control':", DaemonScenario.StartTimeout);

        var log = daemon.Output;
        Assert.Matches(@"Opened database .* mmap \d+(\.\d)? [MG]iB, cache \d+(\.\d)? [KMG]iB\)", log);
        Assert.Matches(@"Memory governor attached to the database: mmap limit \d+(\.\d)? [MG]iB", log);
        Assert.Contains("Maintenance: 1 window (02:00 for 2h, Mon-Sun) in time zone", log, StringComparison.Ordinal);
        Assert.Contains("Remote tuning under edgestore/e2e-oplog/: accepting desired settings and commands", log, StringComparison.Ordinal);
        Assert.DoesNotContain("V500", log, StringComparison.Ordinal);
        Assert.DoesNotContain(": True)", log, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"mmap \d{6,} bytes", log);

        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task Rate_limited_quarantine_warnings_say_how_many_were_not_logged()
    {
        const int malformed = 1000; // the first 10 are logged one by one, then every 1000th with the count in between
        await using var scenario = new DaemonScenario(output, "e2e-oplog-quarantine");
        scenario.Environment["EDGESTORE__DECODER__JSONTOPICS__0"] = "sensors/#";
        var daemon = await scenario.StartSubscribedDaemonAsync();

        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-0001/telemetry", Enumerable.Range(1, malformed).Select(i => $"{{\"seq\":{i},\"temperature\":"));
        await Wait.UntilAsync(() => scenario.Store.QuarantineCount() >= malformed, DaemonScenario.DrainTimeout, $"{malformed} rows in quarantine");

        var line = await daemon.WaitForOutputAsync($"({malformed} quarantined since start;", TimeSpan.FromSeconds(30));
        Assert.Contains($"{malformed - 10 - 1} more quarantined since the previous line, not logged one by one (`edgestore quarantine` lists them)", line, StringComparison.Ordinal);
        Assert.Equal(11, Regex.Matches(daemon.Output, "Quarantined a message on ").Count);

        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }
}
