using EdgeStore.Storage.Forwarding;
using EdgeStore.Storage.Maintenance;
using EdgeStore.Storage.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Tests.Forwarding;

/// <summary>
/// The uplink's reads and cursor, and what retention and the disk guard do with rows not yet forwarded, on a real
/// database file written by the batch writer.
/// </summary>
public sealed class ForwardingRowsTests : IAsyncLifetime
{
    private const long Old = 1_000_000;
    private const long New = 9_000_000;
    private readonly TestStorage _storage = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _storage.DisposeAsync();

    [Fact]
    public async Task Rows_are_read_in_id_order_after_the_cursor_with_topic_payload_and_receive_time()
    {
        var database = await _storage.OpenAsync();
        await TestStorage.WriteAllAsync(database.CreateWriter(),
        [
            TestStorage.Record("sensors/a", "1", receivedAtMs: 10),
            TestStorage.Record("sensors/b", "2", receivedAtMs: 20),
            TestStorage.Record("sensors/bad", "not json", receivedAtMs: 25, quarantine: "invalid JSON"),
            TestStorage.Record("sensors/a", "1", receivedAtMs: 30),
        ]);

        using var reader = database.Connections.OpenReader();
        var rows = new List<ForwardRow>();
        Assert.Equal(3, ForwardingRows.ReadBatch(reader, ForwardStream.Messages, 0, 10, rows));
        Assert.Equal([1L, 2, 3], rows.Select(r => r.Id));
        Assert.Equal(["sensors/a", "sensors/b", "sensors/a"], rows.Select(r => r.Topic));
        Assert.Equal([10L, 20, 30], rows.Select(r => r.ReceivedAtMs));
        Assert.Equal("1"u8.ToArray(), rows[2].Payload);
        Assert.All(rows, r => Assert.Null(r.Reason));

        rows.Clear();
        Assert.Equal(1, ForwardingRows.ReadBatch(reader, ForwardStream.Messages, 2, 10, rows));
        Assert.Equal(3, rows[0].Id);

        rows.Clear();
        Assert.Equal(1, ForwardingRows.ReadBatch(reader, ForwardStream.Quarantine, 0, 10, rows));
        Assert.Equal(("sensors/bad", "invalid JSON"), (rows[0].Topic, rows[0].Reason));

        Assert.Equal(new ForwardBacklog(2, 20), ForwardingRows.ReadBacklog(reader, ForwardStream.Messages, 1));
        Assert.Equal(new ForwardBacklog(0, null), ForwardingRows.ReadBacklog(reader, ForwardStream.Messages, 3));
    }

    [Fact]
    public async Task The_cursor_starts_at_zero_and_only_moves_forward()
    {
        var database = await _storage.OpenAsync();
        using var writer = database.Connections.OpenWriter();

        Assert.Equal(0, ForwardingRows.ReadCursor(writer, ForwardStream.Messages));
        Assert.Equal(500, ForwardingRows.CommitCursor(writer, ForwardStream.Messages, 500, 1));
        Assert.Equal(500, ForwardingRows.CommitCursor(writer, ForwardStream.Messages, 400, 2));
        Assert.Equal(7, ForwardingRows.CommitCursor(writer, ForwardStream.Quarantine, 7, 3));

        Assert.Equal(500, ForwardingRows.ReadCursor(writer, ForwardStream.Messages));
        Assert.Equal(7, ForwardingRows.ReadCursor(writer, ForwardStream.Quarantine));
        Assert.Equal(500, _storage.Scalar("SELECT forwarded_through FROM uplink_cursor WHERE stream = 'messages'"));
    }

    [Fact]
    public async Task Retention_keeps_rows_beyond_the_cursor_whatever_their_age()
    {
        var database = await FillAsync(oldRows: 10, newRows: 0);
        using var writer = database.Connections.OpenWriter();
        ForwardingRows.CommitCursor(writer, ForwardStream.Messages, 4, 0);

        var chunk = await RetentionSweep.DeleteMessagesOlderThanAsync(writer, New, 100, UnforwardedRows.Keep, CancellationToken.None);

        Assert.Equal(new RetentionChunk(4, 0), chunk);
        Assert.Equal([5L, 6, 7, 8, 9, 10], Ids(writer, "messages"));
    }

    [Fact]
    public async Task Retention_that_may_drop_unforwarded_rows_counts_each_of_them()
    {
        var database = await FillAsync(oldRows: 10, newRows: 0);
        using var writer = database.Connections.OpenWriter();
        ForwardingRows.CommitCursor(writer, ForwardStream.Messages, 4, 0);

        var first = await RetentionSweep.DeleteMessagesOlderThanAsync(writer, New, 3, UnforwardedRows.DropAndCount, CancellationToken.None);
        var second = await RetentionSweep.DeleteMessagesOlderThanAsync(writer, New, 100, UnforwardedRows.DropAndCount, CancellationToken.None);

        Assert.Equal(new RetentionChunk(3, 0), first);
        Assert.Equal(new RetentionChunk(6, 5), second);
        Assert.Equal([10L], Ids(writer, "messages"));
    }

    [Fact]
    public async Task The_newest_row_is_never_deleted_so_ids_are_never_reused()
    {
        var database = await FillAsync(oldRows: 5, newRows: 0);
        using (var writer = database.Connections.OpenWriter())
        {
            var byAge = await RetentionSweep.DeleteMessagesOlderThanAsync(writer, New, 100, UnforwardedRows.NotForwarded, CancellationToken.None);
            var oldest = await RetentionSweep.DeleteOldestMessagesAsync(writer, 100, UnforwardedRows.NotForwarded, CancellationToken.None);
            Assert.Equal((4, 0), (byAge.Deleted, oldest.Deleted));
            Assert.Equal([5L], Ids(writer, "messages"));
        }

        // A row stored afterwards gets a new id, above every id ever handed to the uplink or a consumer.
        await TestStorage.WriteAllAsync(database.CreateWriter(), [TestStorage.Record("sensors/a", "later", receivedAtMs: New)]);
        using var check = database.Connections.OpenWriter();
        Assert.Equal([5L, 6], Ids(check, "messages"));
    }

    [Fact]
    public async Task Disk_full_deletion_keeps_unforwarded_rows_unless_allowed()
    {
        var database = await FillAsync(oldRows: 4, newRows: 4);
        using var writer = database.Connections.OpenWriter();
        ForwardingRows.CommitCursor(writer, ForwardStream.Messages, 2, 0);

        var kept = await RetentionSweep.DeleteOldestMessagesAsync(writer, 100, UnforwardedRows.Keep, CancellationToken.None);
        Assert.Equal(new RetentionChunk(2, 0), kept);
        var dropped = await RetentionSweep.DeleteOldestMessagesAsync(writer, 3, UnforwardedRows.DropAndCount, CancellationToken.None);
        Assert.Equal(new RetentionChunk(3, 3), dropped);
        Assert.Equal([6L, 7, 8], Ids(writer, "messages"));
    }

    [Fact]
    public async Task Quarantine_retention_follows_its_own_cursor()
    {
        var database = await _storage.OpenAsync();
        await TestStorage.WriteAllAsync(database.CreateWriter(),
            [.. Enumerable.Range(1, 6).Select(i => TestStorage.Record("sensors/bad", "x", receivedAtMs: Old, quarantine: "reason " + i))]);
        using var writer = database.Connections.OpenWriter();
        ForwardingRows.CommitCursor(writer, ForwardStream.Quarantine, 3, 0);

        var chunk = await RetentionSweep.DeleteQuarantineOlderThanAsync(writer, New, 100, UnforwardedRows.Keep, CancellationToken.None);

        Assert.Equal(new RetentionChunk(3, 0), chunk);
        Assert.Equal([4L, 5, 6], Ids(writer, "quarantine"));
    }

    private async Task<TelemetryDatabase> FillAsync(int oldRows, int newRows)
    {
        var database = await _storage.OpenAsync();
        var records = Enumerable.Range(1, oldRows).Select(i => TestStorage.Record("sensors/a", $"{{\"v\":{i}}}", receivedAtMs: Old + i))
            .Concat(Enumerable.Range(1, newRows).Select(i => TestStorage.Record("sensors/a", $"{{\"v\":{i}}}", receivedAtMs: New + i)));
        await using (var writer = database.CreateWriter())
        {
            await TestStorage.WriteAllAsync(writer, [.. records]);
        }

        return database;
    }

    private static List<long> Ids(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id FROM {table} ORDER BY id";
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }
}
