using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// C5: a payload that claims to be JSON (a configured topic rule, or an MQTT 5 content type) but does not
/// parse is kept in quarantine with its topic, bytes and reason, and ingestion goes on around it.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class QuarantineEndToEndTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Malformed_payloads_go_to_quarantine_and_the_stream_around_them_is_stored()
    {
        await using var scenario = new DaemonScenario(output, "e2e-quarantine");
        scenario.Environment["EDGESTORE__DECODER__JSONTOPICS__0"] = "sensors/+/json";
        var daemon = await scenario.StartSubscribedDaemonAsync();
        var port = scenario.Broker.Port;
        const string stream = "sensors/dev-a/telemetry";
        const string truncatedJson = "{\"seq\":1,\"temperature\":";
        const string notJson = "temperature=21.5";
        const string rawText = "hello from a plain-text sensor";

        await MosquittoPublish.LinesAsync(port, stream, Readings(1, 50));
        await MosquittoPublish.MessageAsync(port, "sensors/dev-b/json", truncatedJson);
        await MosquittoPublish.MessageAsync(port, "sensors/dev-c/telemetry", notJson, contentType: "application/json");
        await MosquittoPublish.MessageAsync(port, "sensors/dev-b/json", "{\"seq\":2,\"temperature\":20.5}");
        await MosquittoPublish.MessageAsync(port, "sensors/dev-d/telemetry", rawText);
        await MosquittoPublish.LinesAsync(port, stream, Readings(51, 100));

        const long expectedRows = 100 + 1 + 1;
        var stored = await scenario.Store.WaitForMessagesAsync(expectedRows, DaemonScenario.DrainTimeout);
        var quarantined = await StoredTelemetry.WaitForAsync(scenario.Store.QuarantineCount, 2, DaemonScenario.DrainTimeout);
        Assert.True(stored == expectedRows, $"stored {stored} rows, expected {expectedRows}.\n{daemon.Dump()}");
        Assert.True(quarantined == 2, $"quarantined {quarantined} rows, expected 2.\n{daemon.Dump()}");

        // Ingestion went on: the daemon is still running and stores what comes next.
        Assert.False(daemon.HasExited, daemon.Dump());
        await MosquittoPublish.LinesAsync(port, stream, Readings(101, 110));
        Assert.Equal(expectedRows + 10, await scenario.Store.WaitForMessagesAsync(expectedRows + 10, DaemonScenario.DrainTimeout));
        await DaemonScenario.StopCleanlyAsync(daemon);

        var rows = scenario.Store.Quarantined();
        Assert.Equal(2, rows.Count);
        var byTopic = rows.ToDictionary(r => r.Topic);
        Assert.Equal(truncatedJson, Encoding.UTF8.GetString(byTopic["sensors/dev-b/json"].Payload));
        Assert.Equal(notJson, Encoding.UTF8.GetString(byTopic["sensors/dev-c/telemetry"].Payload));
        Assert.All(rows, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason), $"no reason for {r.Topic}"));

        var series = scenario.Store.Sequences().ToDictionary(s => s.Topic);
        Assert.True(series[stream].IsComplete && series[stream].Rows == 110, series[stream].ToString());
        Assert.Equal(1, series["sensors/dev-b/json"].Rows);
        Assert.Equal(2, series["sensors/dev-b/json"].MinSequence);
        Assert.False(series.ContainsKey("sensors/dev-c/telemetry"), "the malformed JSON was also stored as a message");

        // A payload that claims nothing is stored raw, byte for byte.
        var raw = Assert.Single(scenario.Store.Payloads("sensors/dev-d/telemetry"));
        Assert.Equal(rawText, Encoding.UTF8.GetString(raw));
        scenario.MarkPassed();
    }

    private static IEnumerable<string> Readings(int firstSequence, int lastSequence)
    {
        var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var seq = firstSequence; seq <= lastSequence; seq++)
        {
            yield return string.Create(
                CultureInfo.InvariantCulture,
                $"{{\"seq\":{seq},\"ts\":{start + seq},\"temperature\":{20 + (seq % 7) * 0.5},\"humidity\":{40 + (seq % 11)}}}");
        }
    }
}
