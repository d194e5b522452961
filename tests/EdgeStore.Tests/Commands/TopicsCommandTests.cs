using System.Text.Json;
using EdgeStore.Storage;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;
using static EdgeStore.Tests.Commands.TelemetryFile;

namespace EdgeStore.Tests.Commands;

/// <summary>`edgestore topics`, the built executable against a real database file.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class TopicsCommandTests : TelemetryFileCommandTests
{
    public TopicsCommandTests(ITestOutputHelper log)
        : base(log, "topics")
    {
    }

    private protected override IEnumerable<IngestRecord> Records =>
    [
        Message("sensors/dev-2/telemetry", "1", Noon),
        Message("sensors/dev-1/telemetry", "2", Noon.AddSeconds(1)),
        Message("sensors/dev-1/telemetry", "3", Noon.AddMinutes(5)),
        Message("plant/status", "OK", Noon.AddHours(1)),
        Quarantined("sensors/dev-3/telemetry", "{", Noon, "invalid JSON"),
    ];

    [Fact]
    public async Task Every_topic_with_its_rows_and_first_and_last_receive_time_in_csv()
    {
        var run = await TopicsAsync("--format", "csv");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        Assert.Equal(
        [
            "topic,rows,first_received_at,last_received_at",
            "plant/status,1,2026-05-01T13:00:00.000Z,2026-05-01T13:00:00.000Z",
            "sensors/dev-1/telemetry,2,2026-05-01T12:00:01.000Z,2026-05-01T12:05:00.000Z",
            "sensors/dev-2/telemetry,1,2026-05-01T12:00:00.000Z,2026-05-01T12:00:00.000Z",
        ],
            run.Output);
    }

    [Fact]
    public async Task A_topic_filter_selects_topics_and_json_lines_count_as_numbers()
    {
        var run = await TopicsAsync("--topic", "sensors/+/telemetry", "--format", "jsonl");

        Assert.Equal(0, run.ExitCode);
        var rows = run.Output.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(["sensors/dev-1/telemetry", "sensors/dev-2/telemetry"], rows.Select(r => r.GetProperty("topic").GetString()));
        Assert.Equal(JsonValueKind.Number, rows[0].GetProperty("rows").ValueKind);
        Assert.Equal(2, rows[0].GetProperty("rows").GetInt64());
        Assert.Equal("2026-05-01T12:05:00.000Z", rows[0].GetProperty("lastReceivedAt").GetString());
    }

    [Fact]
    public async Task A_table_ends_with_the_topic_count_on_stderr()
    {
        var run = await TopicsAsync("--local-time");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(4, run.Output.Count);
        Assert.StartsWith("TOPIC", run.Output[0], StringComparison.Ordinal);
        Assert.Equal("(3 topics)", run.SingleError);
    }

    [Fact]
    public async Task A_missing_database_exits_1_and_a_bad_format_exits_2_each_with_one_line()
    {
        var missing = Path.Combine(WorkDirectory, "none.db");

        var noDatabase = await RunAsync(["topics", "--db", missing]);
        var badFormat = await TopicsAsync("--format", "yaml");
        var badFilter = await TopicsAsync("--topic", "a/#/b");

        Assert.Equal(1, noDatabase.ExitCode);
        Assert.Equal($"edgestore topics: no database ({missing}); check --db, or Storage:Path in the configuration", noDatabase.SingleError);
        Assert.False(File.Exists(missing));
        Assert.Equal(2, badFormat.ExitCode);
        Assert.Equal(["edgestore topics: --format 'yaml' is not one of table, csv, jsonl", "Run 'edgestore topics --help' for its options."], badFormat.Error);
        Assert.Equal(2, badFilter.ExitCode);
        Assert.StartsWith("edgestore topics: --topic is not a valid MQTT topic filter (got 'a/#/b');", badFilter.SingleError, StringComparison.Ordinal);
    }

    private Task<CommandRun> TopicsAsync(params string[] arguments) =>
        RunAsync(["topics", "--db", DatabasePath, .. arguments]);
}
