using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using EdgeStore.Commands;
using EdgeStore.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStore.Tests.Commands;

/// <summary>`edgestore query` against a real database written by the real batch writer.</summary>
public sealed class QueryCommandTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-query-").FullName;

    private string DatabasePath => Path.Combine(_directory, "edgestore.db");

    public async Task InitializeAsync()
    {
        // Received one per minute over the last hour, on two devices and one other topic.
        var records = new List<IngestRecord>();
        for (var minute = 60; minute >= 1; minute--)
        {
            var receivedAt = Now.AddMinutes(-minute).ToUnixTimeMilliseconds();
            var seq = 61 - minute;
            records.Add(Record("sensors/dev-0001/telemetry", $$"""{"seq":{{seq}}}""", receivedAt, seq));
            records.Add(Record("sensors/dev-0002/telemetry", $$"""{"seq":{{seq}}}""", receivedAt, seq));
            records.Add(Record("plant/line-1/status", "OK", receivedAt, null));
        }

        var options = new StorageOptions { Path = DatabasePath };
        await using var database = await TelemetryDatabase.OpenAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        await using var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        foreach (var record in records)
        {
            channel.Writer.TryWrite(record);
        }

        channel.Writer.Complete();
        await writer.RunAsync(channel.Reader, (_, _) => ValueTask.CompletedTask, CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_wildcard_filter_and_a_duration_select_the_matching_rows_in_order()
    {
        var (exitCode, output, _) = await QueryAsync("sensors/+/telemetry", since: "10m", format: "jsonl");

        Assert.Equal(0, exitCode);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(20, rows.Count);
        Assert.All(rows, r => Assert.StartsWith("sensors/dev-000", r.GetProperty("topic").GetString(), StringComparison.Ordinal));
        Assert.Equal(Enumerable.Range(51, 10), rows.Where(r => r.GetProperty("topic").GetString() == "sensors/dev-0001/telemetry").Select(r => r.GetProperty("seq").GetInt32()));
        Assert.Equal("2026-05-01T11:50:00.000Z", rows[0].GetProperty("receivedAt").GetString());
    }

    [Fact]
    public async Task Until_limit_and_descending_order()
    {
        var (exitCode, output, _) = await QueryAsync("sensors/dev-0002/#", until: "30m", limit: 3, descending: true, format: "csv");

        Assert.Equal(0, exitCode);
        var lines = output.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal(["30", "29", "28"], lines.Skip(1).Select(l => l.Split(',')[4]));
    }

    [Fact]
    public async Task A_table_ends_with_the_row_count_on_stderr()
    {
        var (exitCode, output, error) = await QueryAsync("plant/#", since: "2026-05-01T11:58:00Z");

        Assert.Equal(0, exitCode);
        Assert.Equal(3, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("  OK", output, StringComparison.Ordinal);
        Assert.Equal("(2 rows)", error.Trim());
    }

    [Theory]
    [InlineData("sensors/#/x", null, null, "edgestore query: --topic is not a valid MQTT topic filter (got 'sensors/#/x'); use levels separated by /, with + for one level and # only at the end")]
    [InlineData("sensors/#", "yesterday", null, "edgestore query: --since is not a time (got 'yesterday'); give a duration back from now such as 10m, 2h or 7d, or an ISO-8601 time such as 2026-05-01T12:00:00Z")]
    [InlineData("sensors/#", null, 0, "edgestore query: --limit must be at least 1 (got 0); leave it out for every row")]
    public async Task Bad_arguments_exit_2_with_the_reason(string topic, string? since, int? limit, string expected)
    {
        var (exitCode, output, error) = await QueryAsync(topic, since: since, limit: limit);

        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        Assert.Equal(expected, error.Trim());
    }

    [Fact]
    public async Task A_missing_database_exits_1()
    {
        var missing = Path.Combine(_directory, "missing.db");
        var error = new StringWriter();

        var exitCode = await QueryCommand.RunAsync(
            new QueryArguments(null, missing, "#", null, null, null, false, "table"), new StringWriter(), error, new FakeTimeProvider(Now), CancellationToken.None);

        Assert.Equal(1, exitCode);
        Assert.Equal($"edgestore query: no database ({missing}); check --db, or Storage:Path in the configuration", error.ToString().Trim());
        Assert.False(File.Exists(missing));
    }

    private async Task<(int ExitCode, string Output, string Error)> QueryAsync(
        string topic, string? since = null, string? until = null, int? limit = null, bool descending = false, string format = "table")
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await QueryCommand.RunAsync(
            new QueryArguments(null, DatabasePath, topic, since, until, limit, descending, format), output, error, new FakeTimeProvider(Now), CancellationToken.None);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static IngestRecord Record(string topic, string payload, long receivedAtUnixMs, long? seq) =>
        new(topic, Encoding.UTF8.GetBytes(payload), 1, false, receivedAtUnixMs, null, seq, null, 0);
}
