using System.Text;
using EdgeStore.Storage.Tests.Support;

namespace EdgeStore.Storage.Tests.Reading;

public sealed class TelemetryReaderTests : IAsyncLifetime
{
    private const long T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    private readonly TestStorage _storage = new();
    private TelemetryDatabase _database = null!;

    public async Task InitializeAsync()
    {
        _database = await _storage.OpenAsync(o => o.ReaderPoolSize = 2);
        var records = new List<IngestRecord>();
        string[] topics = ["sensors/a/telemetry", "sensors/b/telemetry", "sensors/a/status", "other/x/telemetry"];
        for (var i = 0; i < 10; i++)
        {
            foreach (var topic in topics)
            {
                records.Add(TestStorage.Record(topic, $"{topic}#{i}", seq: i, deviceTs: T0 - 5 + (i * 1000), receivedAtMs: T0 + (i * 1000), qos: (byte)(i % 3), retain: i == 9));
            }
        }

        await TestStorage.WriteAllAsync(_database.CreateWriter(), records);
    }

    public async Task DisposeAsync() => await _storage.DisposeAsync();

    [Theory]
    [InlineData("sensors/+/telemetry", new[] { "sensors/a/telemetry", "sensors/b/telemetry" })]
    [InlineData("sensors/#", new[] { "sensors/a/status", "sensors/a/telemetry", "sensors/b/telemetry" })]
    [InlineData("sensors/a/#", new[] { "sensors/a/status", "sensors/a/telemetry" })]
    [InlineData("+/+/telemetry", new[] { "other/x/telemetry", "sensors/a/telemetry", "sensors/b/telemetry" })]
    [InlineData("nothing/here", new string[0])]
    public async Task Topic_filters_select_series(string filter, string[] expectedTopics)
    {
        var messages = await QueryAsync(new TelemetryQuery(TopicPattern.Matcher(filter), null, null, null, false));

        Assert.Equal(expectedTopics, messages.Select(m => m.Topic).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(expectedTopics.Length * 10, messages.Count);
    }

    [Fact]
    public async Task Since_is_inclusive_until_is_exclusive_and_order_is_by_receive_time()
    {
        var since = DateTimeOffset.FromUnixTimeMilliseconds(T0 + 3000);
        var until = DateTimeOffset.FromUnixTimeMilliseconds(T0 + 6000);

        var messages = await QueryAsync(new TelemetryQuery(TopicPattern.Matcher("sensors/a/telemetry"), since, until, null, false));

        Assert.Equal([3, 4, 5], messages.Select(m => m.DeviceSequence));
        Assert.Equal([since, since.AddSeconds(1), since.AddSeconds(2)], messages.Select(m => m.ReceivedAt));
    }

    [Fact]
    public async Task Limit_and_descending_return_the_newest_first()
    {
        var messages = await QueryAsync(new TelemetryQuery(TopicPattern.Matcher("sensors/+/telemetry"), null, null, 3, true));

        Assert.Equal(3, messages.Count);
        Assert.Equal([9L, 9L, 8L], messages.Select(m => m.DeviceSequence!.Value));
        Assert.True(messages[0].Id > messages[1].Id, "ties on receive time are ordered by id");
        Assert.True(messages.Zip(messages.Skip(1)).All(p => p.First.ReceivedAt >= p.Second.ReceivedAt));
    }

    [Fact]
    public async Task Stored_messages_carry_every_field_as_received()
    {
        var message = Assert.Single(await QueryAsync(new TelemetryQuery(
            TopicPattern.Matcher("sensors/b/telemetry"), DateTimeOffset.FromUnixTimeMilliseconds(T0 + 8000), null, 1, false)));

        Assert.Equal("sensors/b/telemetry", message.Topic);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 8000), message.ReceivedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(T0 + 7995), message.DeviceTimestamp);
        Assert.Equal(8, message.DeviceSequence);
        Assert.Equal(2, message.Qos);
        Assert.False(message.Retain);
        Assert.Equal("sensors/b/telemetry#8", Encoding.UTF8.GetString(message.Payload));
    }

    [Fact]
    public async Task ListSeries_returns_every_topic()
    {
        var series = await _database.Reader.ListSeriesAsync(CancellationToken.None);

        Assert.Equal(["other/x/telemetry", "sensors/a/status", "sensors/a/telemetry", "sensors/b/telemetry"], series.Select(s => s.Topic));
        Assert.Equal(4, series.Select(s => s.Id).Distinct().Count());
    }

    [Fact]
    public async Task At_most_ReaderPoolSize_queries_run_at_once()
    {
        var all = new TelemetryQuery(TopicPattern.Matcher("#"), null, null, null, false);
        var first = _database.Reader.QueryAsync(all, CancellationToken.None).GetAsyncEnumerator();
        var second = _database.Reader.QueryAsync(all, CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await first.MoveNextAsync());
        Assert.True(await second.MoveNextAsync());

        var third = _database.Reader.QueryAsync(all, CancellationToken.None).GetAsyncEnumerator();
        var waiting = third.MoveNextAsync().AsTask();
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);

        await first.DisposeAsync();
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        await second.DisposeAsync();
        await third.DisposeAsync();
    }

    [Fact]
    public async Task A_separate_read_only_reader_sees_the_same_rows_without_a_mapping()
    {
        var reader = TelemetryReader.OpenReadOnly(_storage.DatabasePath);

        var messages = new List<StoredMessage>();
        await foreach (var message in reader.QueryAsync(new TelemetryQuery(TopicPattern.Matcher("sensors/#"), null, null, null, false), CancellationToken.None))
        {
            messages.Add(message);
        }

        Assert.Equal(30, messages.Count);
        Assert.Equal(4, (await reader.ListSeriesAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task The_message_query_uses_the_series_time_index()
    {
        using var connection = _database.Connections.OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = """
            EXPLAIN QUERY PLAN SELECT id FROM messages
            WHERE series_id IN (SELECT value FROM json_each('[1,2]')) AND received_at_ms >= 0 AND received_at_ms < 10
            ORDER BY received_at_ms, id LIMIT 5
            """;
        var plan = new StringBuilder();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.AppendLine(reader.GetString(3));
            }
        }

        Assert.Contains("ix_messages_series_time", plan.ToString(), StringComparison.Ordinal);
    }

    private async Task<List<StoredMessage>> QueryAsync(TelemetryQuery query)
    {
        var messages = new List<StoredMessage>();
        await foreach (var message in _database.Reader.QueryAsync(query, CancellationToken.None))
        {
            messages.Add(message);
        }

        return messages;
    }
}
