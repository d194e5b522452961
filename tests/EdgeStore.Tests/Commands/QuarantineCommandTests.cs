using System.Text.Json;
using EdgeStore.Storage;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;
using static EdgeStore.Tests.Commands.TelemetryFile;

namespace EdgeStore.Tests.Commands;

/// <summary>`edgestore quarantine`, the built executable against a real database file.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class QuarantineCommandTests : TelemetryFileCommandTests
{
    private const string FirstReason = "invalid JSON at byte 2: expected a property name";

    public QuarantineCommandTests(ITestOutputHelper log)
        : base(log, "quarantine")
    {
    }

    private protected override IEnumerable<IngestRecord> Records =>
    [
        Message("sensors/dev-1/telemetry", """{"temp":1}""", Noon),
        Quarantined("sensors/dev-3/telemetry", "{bad", Noon.AddMinutes(4), FirstReason),
        Quarantined("sensors/dev-4/telemetry", "", Noon.AddMinutes(5), "empty payload where JSON is expected"),
    ];

    [Fact]
    public async Task Quarantined_messages_come_with_topic_time_reason_and_payload()
    {
        var run = await QuarantineAsync("--format", "jsonl");

        Assert.Equal(0, run.ExitCode);
        var rows = run.Output.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal("sensors/dev-3/telemetry", rows[0].GetProperty("topic").GetString());
        Assert.Equal("2026-05-01T12:04:00.000Z", rows[0].GetProperty("receivedAt").GetString());
        Assert.Equal(FirstReason, rows[0].GetProperty("reason").GetString());
        Assert.Equal("{bad", rows[0].GetProperty("payload").GetString());
        Assert.Equal("empty payload where JSON is expected", rows[1].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Since_limit_and_newest_first_select_rows_like_query()
    {
        var since = await QuarantineAsync("--since", "2026-05-01T12:04:30Z", "--format", "csv");
        var newest = await QuarantineAsync("--limit", "1", "--desc", "--format", "Csv");

        Assert.Equal(["id,topic,received_at,reason,payload", "2,sensors/dev-4/telemetry,2026-05-01T12:05:00.000Z,empty payload where JSON is expected,"], since.Output);
        Assert.Equal(since.Output, newest.Output);
    }

    [Fact]
    public async Task A_table_shows_the_reason_and_ends_with_the_row_count()
    {
        var run = await QuarantineAsync();

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("REASON", run.Output[0], StringComparison.Ordinal);
        Assert.Contains(FirstReason, run.Output[1], StringComparison.Ordinal);
        Assert.Equal("(2 rows)", run.SingleError);
    }

    [Fact]
    public async Task A_bad_time_exits_2_with_one_line()
    {
        var run = await QuarantineAsync("--until", "tomorrow");

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Equal(
            "edgestore quarantine: --until is not a time (got 'tomorrow'); give a duration back from now such as 10m, 2h or 7d, or an ISO-8601 time such as 2026-05-01T12:00:00Z",
            run.SingleError);
    }

    private Task<CommandRun> QuarantineAsync(params string[] arguments) =>
        RunAsync(["quarantine", "--db", DatabasePath, .. arguments]);
}
