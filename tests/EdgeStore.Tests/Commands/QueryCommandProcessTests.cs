using System.Security.Cryptography;
using System.Text.Json;
using EdgeStore.Storage;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;
using static EdgeStore.Tests.Commands.TelemetryFile;

namespace EdgeStore.Tests.Commands;

/// <summary>
/// `edgestore query` run as an operator runs it, the built executable against a real database file: JSON fields as
/// columns, JSON payloads embedded in JSON lines, device time, local time, and one-line refusals of bad values.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class QueryCommandProcessTests : TelemetryFileCommandTests
{
    private const string Kitchen = """{"ts":1777636800,"temp":21.5,"env":{"temp":19.25,"hum":40},"values":[3,4],"name":"kitchen"}""";
    private const string Pretty = "{\n  \"temp\": \"n/a\",\n  \"env\": { \"temp\": null }\n}";

    public QueryCommandProcessTests(ITestOutputHelper log)
        : base(log, "query-process")
    {
    }

    private protected override IEnumerable<IngestRecord> Records =>
    [
        Message("sensors/dev-1/telemetry", Kitchen, Noon.AddSeconds(5), deviceTime: Noon),
        Message("sensors/dev-1/telemetry", """{"temp":22}""", Noon.AddMinutes(1)),
        Message("sensors/dev-2/telemetry", Pretty, Noon.AddMinutes(2), deviceTime: Noon.AddHours(-1)),
        Message("plant/status", "OK", Noon.AddMinutes(3)),
    ];

    [Fact]
    public async Task Fields_print_the_time_the_topic_and_one_column_each_with_numbers_bare_in_csv()
    {
        var run = await QueryAsync("--topic", "sensors/#", "--field", "temp", "--field", "env.temp", "--field", "values[1]", "--field", "name", "--format", "csv");

        Assert.Equal(0, run.ExitCode);
        Assert.Empty(run.Error);
        Assert.Equal(
        [
            "received_at,topic,temp,env.temp,values[1],name",
            "2026-05-01T12:00:05.000Z,sensors/dev-1/telemetry,21.5,19.25,4,kitchen",
            "2026-05-01T12:01:00.000Z,sensors/dev-1/telemetry,22,,,",
            "2026-05-01T12:02:00.000Z,sensors/dev-2/telemetry,n/a,,,",
        ],
            run.Output);
    }

    [Fact]
    public async Task Fields_in_json_lines_are_numbers_strings_or_null()
    {
        var run = await QueryAsync("--topic", "sensors/#", "--field", "temp", "--field", "env.temp", "--field", "values", "--format", "JSONL");

        Assert.Equal(0, run.ExitCode);
        var rows = run.Output.Select(Parse).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Equal(["receivedAt", "topic", "temp", "env.temp", "values"], rows[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Number, rows[0].GetProperty("temp").ValueKind);
        Assert.Equal(21.5, rows[0].GetProperty("temp").GetDouble());
        Assert.Equal(19.25, rows[0].GetProperty("env.temp").GetDouble());
        Assert.Equal("[3,4]", rows[0].GetProperty("values").GetRawText());
        Assert.Equal(22, rows[1].GetProperty("temp").GetInt32());
        Assert.Equal(JsonValueKind.Null, rows[1].GetProperty("env.temp").ValueKind);
        Assert.Equal("n/a", rows[2].GetProperty("temp").GetString());
        Assert.Equal(JsonValueKind.Null, rows[2].GetProperty("env.temp").ValueKind);
    }

    [Fact]
    public async Task Json_payloads_are_embedded_as_json_in_json_lines_and_other_payloads_stay_text()
    {
        var run = await QueryAsync("--topic", "#", "--format", "jsonl");

        Assert.Equal(0, run.ExitCode);
        var rows = run.Output.Select(Parse).ToList();
        Assert.Equal(4, rows.Count);
        Assert.Equal(JsonValueKind.Object, rows[0].GetProperty("payload").ValueKind);
        Assert.Equal(19.25, rows[0].GetProperty("payload").GetProperty("env").GetProperty("temp").GetDouble());
        Assert.Equal("2026-05-01T12:00:00.000Z", rows[0].GetProperty("deviceTs").GetString());
        Assert.Equal("n/a", rows[2].GetProperty("payload").GetProperty("temp").GetString()); // pretty-printed, still one line
        Assert.Equal("OK", rows[3].GetProperty("payload").GetString());
    }

    [Fact]
    public async Task Device_time_is_shown_filtered_and_ordered_on_and_rows_without_one_are_left_out()
    {
        var all = await QueryAsync("--topic", "#", "--time", "Device", "--field", "temp", "--format", "csv");
        var recent = await QueryAsync("--topic", "#", "--time", "device", "--since", "2026-05-01T11:30:00Z", "--field", "temp", "--format", "csv");
        var none = await QueryAsync("--topic", "plant/#", "--time", "device");

        Assert.Equal(0, all.ExitCode);
        Assert.Equal(
        [
            "device_ts,topic,temp",
            "2026-05-01T11:00:00.000Z,sensors/dev-2/telemetry,n/a",
            "2026-05-01T12:00:00.000Z,sensors/dev-1/telemetry,21.5",
        ],
            all.Output);
        Assert.Equal(["device_ts,topic,temp", "2026-05-01T12:00:00.000Z,sensors/dev-1/telemetry,21.5"], recent.Output);
        Assert.Equal(0, none.ExitCode);
        Assert.Equal("(0 rows; with --time device only rows that carry a device timestamp are shown)", none.SingleError);
    }

    [Fact]
    public async Task Local_time_prints_the_machine_zone_with_its_offset()
    {
        var run = await QueryAsync(["--topic", "plant/#", "--local-time", "--format", "jsonl"], new Dictionary<string, string?> { ["TZ"] = "Asia/Kolkata" });

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("2026-05-01T17:33:00.000+05:30", Parse(Assert.Single(run.Output)).GetProperty("receivedAt").GetString());
    }

    [Theory]
    [InlineData("--format", "xml", "edgestore query: --format 'xml' is not one of table, csv, jsonl")]
    [InlineData("--time", "wall", "edgestore query: --time 'wall' is not one of received, device")]
    [InlineData("--field", "env..temp", "edgestore query: --field is not a JSON path (got 'env..temp'); use names separated by dots and [N] for array items, such as env.temp or values[0]")]
    public async Task Unknown_values_exit_2_with_one_line_naming_what_is_allowed(string option, string value, string expected)
    {
        var run = await QueryAsync("--topic", "#", option, value);

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Equal(expected, run.Error[0]); // choices add the help pointer on a second line
    }

    [Fact]
    public async Task Reading_leaves_the_database_file_as_it_was()
    {
        var before = await File.ReadAllBytesAsync(DatabasePath);

        Assert.Equal(0, (await QueryAsync("--topic", "#", "--field", "temp")).ExitCode);
        Assert.Equal(0, (await RunAsync(["topics", "--db", DatabasePath])).ExitCode);
        Assert.Equal(0, (await RunAsync(["quarantine", "--db", DatabasePath])).ExitCode);

        Assert.Equal(SHA256.HashData(before), SHA256.HashData(await File.ReadAllBytesAsync(DatabasePath)));
    }

    private Task<CommandRun> QueryAsync(params string[] arguments) => QueryAsync(arguments, null);

    private Task<CommandRun> QueryAsync(string[] arguments, IReadOnlyDictionary<string, string?>? environment) =>
        RunAsync(["query", "--db", DatabasePath, .. arguments], environment);

    private static JsonElement Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}
