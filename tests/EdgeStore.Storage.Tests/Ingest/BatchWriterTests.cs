using System.Text;
using System.Threading.Channels;
using EdgeStore.Storage.Tests.Support;
using Microsoft.Data.Sqlite;
using EdgeStore.Testing;

namespace EdgeStore.Storage.Tests.Ingest;

public sealed class BatchWriterTests : IAsyncLifetime
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private readonly TestStorage _storage = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _storage.DisposeAsync();

    [Fact]
    public async Task A_batch_closes_at_MaxBatchRows_and_the_remainder_commits_when_input_completes()
    {
        var database = await _storage.OpenAsync(o =>
        {
            o.MaxBatchRows = 10;
            o.MaxBatchLatency = TimeSpan.FromMinutes(10);
        });
        var records = Enumerable.Range(1, 25).Select(i => TestStorage.Record($"sensors/d{i % 3}", $"{{\"seq\":{i}}}", seq: i, deviceTs: 1000 + i, ackTag: i)).ToList();

        var batches = await TestStorage.WriteAllAsync(database.CreateWriter(), records);

        Assert.Equal([10, 10, 5], batches.Select(b => b.Records));
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), batches.SelectMany(b => b.AckTags));
        Assert.Equal(25, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(3, _storage.Scalar("SELECT count(*) FROM series"));
    }

    [Fact]
    public async Task A_batch_closes_MaxBatchLatency_after_its_first_record()
    {
        var time = new TrackingTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var database = await _storage.OpenAsync(o =>
        {
            o.MaxBatchRows = 1000;
            o.MaxBatchLatency = TimeSpan.FromMilliseconds(50);
        }, time);
        var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        var batches = new List<CommittedBatch>();
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(channel.Reader, (b, _) =>
        {
            lock (batches)
            {
                batches.Add(b);
            }

            return ValueTask.CompletedTask;
        }, stop.Token);
        var start = time.GetUtcNow();

        channel.Writer.TryWrite(TestStorage.Record("sensors/a", "1", seq: 1, deviceTs: 1, ackTag: 11));
        await Wait.UntilAsync(() => time.ArmedDueTimes().Contains(start + TimeSpan.FromMilliseconds(50)), TestStorage.Patience, "the writer armed the batch deadline");
        time.Advance(TimeSpan.FromMilliseconds(30));
        channel.Writer.TryWrite(TestStorage.Record("sensors/a", "2", seq: 2, deviceTs: 2, ackTag: 12));
        await Wait.UntilAsync(() => channel.Reader.Count == 0, TestStorage.Patience, "the writer took the second record");
        // One tick before the deadline: the deadline's timer is still armed, unfired (FakeTimeProvider runs a due timer
        // on the advancing thread, within Advance), and nothing is committed. No real sleep: the writer runs on this clock.
        time.Advance(TimeSpan.FromMilliseconds(19));
        Assert.Contains(start + TimeSpan.FromMilliseconds(50), time.ArmedDueTimes());
        Assert.Empty(Snapshot(batches));
        Assert.Equal(0, _storage.Scalar("SELECT count(*) FROM messages"));

        time.Advance(TimeSpan.FromMilliseconds(1));
        await Wait.UntilAsync(() => Snapshot(batches).Count == 1, TestStorage.Patience, "the batch committed at its deadline");

        var batch = Assert.Single(Snapshot(batches));
        Assert.Equal([11L, 12L], batch.AckTags);
        Assert.Equal(2, batch.Inserted);
        channel.Writer.Complete();
        await run.WaitAsync(Generous);
    }

    [Fact]
    public async Task Ack_tags_are_reported_only_after_commit_and_only_non_zero_ones()
    {
        var database = await _storage.OpenAsync(o => o.MaxBatchRows = 7);
        var records = Enumerable.Range(1, 30).Select(i => TestStorage.Record("sensors/a", $"v{i}", seq: i, deviceTs: i, ackTag: i % 5 == 0 ? 0 : 1000 + i)).ToList();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        foreach (var record in records)
        {
            channel.Writer.TryWrite(record);
        }

        channel.Writer.Complete();
        var reported = new List<long>();
        var visibleWhenReported = new List<bool>();
        await database.CreateWriter().RunAsync(channel.Reader, (batch, _) =>
        {
            // A separate connection (another process's view) must already see every reported row.
            using var connection = _storage.OpenSeparateConnection();
            foreach (var tag in batch.AckTags)
            {
                var seq = tag - 1000;
                visibleWhenReported.Add(SqliteConnectionFactory.ExecuteInt64(connection, $"SELECT count(*) FROM messages WHERE device_seq = {seq}") == 1);
            }

            reported.AddRange(batch.AckTags);
            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(Generous);

        Assert.Equal(records.Where(r => r.AckTag != 0).Select(r => r.AckTag), reported);
        Assert.All(visibleWhenReported, Assert.True);
        Assert.Equal(24, visibleWhenReported.Count);
    }

    [Fact]
    public async Task The_same_message_twice_is_one_row_and_both_are_acknowledged()
    {
        var database = await _storage.OpenAsync();
        var message = TestStorage.Record("sensors/a", "{\"seq\":5,\"ts\":1700}", seq: 5, deviceTs: 1700, ackTag: 1, receivedAtMs: 10_000);
        var redelivery = message with { AckTag = 2, ReceivedAtUnixMs = 99_000 };
        var writer = database.CreateWriter();

        var first = await TestStorage.WriteAllAsync(writer, [message, redelivery]);
        var second = await TestStorage.WriteAllAsync(writer, [redelivery with { AckTag = 3 }]);

        Assert.Equal(1, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(10_000, _storage.Scalar("SELECT received_at_ms FROM messages"));
        Assert.Equal((1, 1), (first.Sum(b => b.Inserted), first.Sum(b => b.Duplicates)));
        Assert.Equal(1, second.Sum(b => b.Duplicates));
        Assert.Equal([1L, 2L, 3L], first.Concat(second).SelectMany(b => b.AckTags));
        Assert.Equal(2, writer.Counters.Duplicates);
        Assert.Equal(1, writer.Counters.Inserted);
    }

    [Fact]
    public async Task A_device_that_restarts_its_sequence_with_new_timestamps_is_stored_again()
    {
        var database = await _storage.OpenAsync();

        var batches = await TestStorage.WriteAllAsync(database.CreateWriter(),
        [
            TestStorage.Record("sensors/a", "before restart", seq: 1, deviceTs: 1_000),
            TestStorage.Record("sensors/a", "after restart", seq: 1, deviceTs: 9_000),
            TestStorage.Record("sensors/b", "same seq and ts, other series", seq: 1, deviceTs: 1_000),
            TestStorage.Record("sensors/c", "no ts", seq: 4),
            TestStorage.Record("sensors/c", "no ts, redelivered", seq: 4),
        ]);

        Assert.Equal(4, batches.Sum(b => b.Inserted));
        Assert.Equal(1, batches.Sum(b => b.Duplicates));
        Assert.Equal(2, _storage.Scalar("SELECT count(*) FROM messages m JOIN series s ON s.id = m.series_id WHERE s.topic = 'sensors/a' AND device_seq = 1"));
    }

    [Fact]
    public async Task Without_a_sequence_the_same_payload_within_one_second_is_one_row()
    {
        var database = await _storage.OpenAsync();

        var batches = await TestStorage.WriteAllAsync(database.CreateWriter(),
        [
            TestStorage.Record("sensors/plain", "21.5", receivedAtMs: 50_000),
            TestStorage.Record("sensors/plain", "21.5", receivedAtMs: 50_999),
            TestStorage.Record("sensors/plain", "21.6", receivedAtMs: 50_500),
            TestStorage.Record("sensors/plain", "21.5", receivedAtMs: 51_000),
            TestStorage.Record("sensors/other", "21.5", receivedAtMs: 50_000),
        ]);

        Assert.Equal(4, batches.Sum(b => b.Inserted));
        Assert.Equal(1, batches.Sum(b => b.Duplicates));
        Assert.Equal(0, _storage.Scalar("SELECT count(*) FROM messages WHERE received_at_ms = 50999"));
    }

    [Fact]
    public async Task A_payload_hash_collision_stores_both_payloads_and_still_drops_a_redelivery()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        await TestStorage.WriteAllAsync(writer, [TestStorage.Record("sensors/x", "first", receivedAtMs: 70_000)]);
        var secondHash = PayloadHash.Compute(Encoding.UTF8.GetBytes("second"));

        // Forge the collision: make the stored row carry the hash of a different payload.
        await writer.RunOnWriterAsync((connection, _) =>
        {
            SqliteConnectionFactory.Execute(connection, $"UPDATE messages SET payload_hash = {secondHash}");
            return Task.CompletedTask;
        }, CancellationToken.None);

        var batches = await TestStorage.WriteAllAsync(writer,
        [
            TestStorage.Record("sensors/x", "second", receivedAtMs: 70_100),
            TestStorage.Record("sensors/x", "second", receivedAtMs: 70_200),
        ]);

        Assert.Equal((1, 1), (batches.Sum(b => b.Inserted), batches.Sum(b => b.Duplicates)));
        Assert.Equal(1, _storage.Scalar("SELECT hash_collision FROM messages WHERE payload = CAST('second' AS BLOB)"));
        Assert.Single(_storage.Logs.WithEventId(3017));
    }

    [Fact]
    public async Task Quarantined_records_go_to_the_quarantine_table_with_topic_bytes_reason_and_time()
    {
        var database = await _storage.OpenAsync();
        byte[] bad = [0x7b, 0x00, 0xff, 0x22];

        var batches = await TestStorage.WriteAllAsync(database.CreateWriter(),
        [
            new IngestRecord("sensors/a/telemetry", bad, 1, false, 123_456, null, null, "invalid JSON: unexpected byte 0x00 at 1", 77),
            TestStorage.Record("sensors/a/telemetry", "{\"seq\":1}", seq: 1, ackTag: 78),
        ]);

        Assert.Equal((1, 1), (batches.Sum(b => b.Quarantined), batches.Sum(b => b.Inserted)));
        Assert.Equal([77L, 78L], batches.SelectMany(b => b.AckTags));
        using var connection = _storage.OpenSeparateConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT topic, payload, reason, received_at_ms FROM quarantine";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("sensors/a/telemetry", reader.GetString(0));
        Assert.Equal(bad, reader.GetFieldValue<byte[]>(1));
        Assert.Equal("invalid JSON: unexpected byte 0x00 at 1", reader.GetString(2));
        Assert.Equal(123_456, reader.GetInt64(3));
        Assert.False(reader.Read());
    }

    [Fact]
    public async Task Payload_bytes_qos_retain_and_an_empty_payload_are_stored_exactly()
    {
        var database = await _storage.OpenAsync();
        var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        await TestStorage.WriteAllAsync(database.CreateWriter(),
        [
            new IngestRecord("sensors/bin", binary.AsMemory(10, 100), 2, true, 1000, 2000, 3, null, 0),
            new IngestRecord("sensors/empty", ReadOnlyMemory<byte>.Empty, 0, false, 1000, null, null, null, 0),
        ]);

        using var connection = _storage.OpenSeparateConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload, qos, retain, device_ts_ms, device_seq FROM messages ORDER BY id";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(binary[10..110], reader.GetFieldValue<byte[]>(0));
        Assert.Equal((2L, 1L, 2000L, 3L), (reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
        Assert.True(reader.Read());
        Assert.False(reader.IsDBNull(0));
        Assert.Equal(0, reader.GetStream(0).Length);
    }

    [Fact]
    public async Task A_full_disk_rolls_back_reports_nothing_and_retries_the_same_batch()
    {
        var database = await _storage.OpenAsync(o => o.MaxBatchRows = 500);
        var writer = database.CreateWriter();
        await writer.RunOnWriterAsync((connection, _) =>
        {
            // SQLITE_FULL for real: the file may not grow past its current size.
            var pages = SqliteConnectionFactory.ExecuteInt64(connection, "PRAGMA page_count");
            SqliteConnectionFactory.Execute(connection, $"PRAGMA max_page_count={pages}");
            return Task.CompletedTask;
        }, CancellationToken.None);
        var failures = new List<int>();
        var reportedAtFailure = new List<int>();
        var batches = new List<CommittedBatch>();
        writer.AfterFailedCommit = (connection, attempt) =>
        {
            failures.Add(attempt);
            lock (batches)
            {
                reportedAtFailure.Add(batches.Count);
            }

            if (attempt == 2)
            {
                SqliteConnectionFactory.Execute(connection, "PRAGMA max_page_count=1073741823"); // space is back
            }
        };
        var payload = new string('x', 2000);
        var records = Enumerable.Range(1, 200).Select(i => TestStorage.Record($"sensors/new{i % 4}", payload + i, seq: i, deviceTs: i, ackTag: i)).ToList();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        foreach (var record in records)
        {
            channel.Writer.TryWrite(record);
        }

        channel.Writer.Complete();
        await writer.RunAsync(channel.Reader, (b, _) =>
        {
            lock (batches)
            {
                batches.Add(b);
            }

            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(Generous);

        Assert.Equal([1, 2], failures);
        Assert.Equal([0, 0], reportedAtFailure);
        Assert.Equal(2, writer.Counters.CommitFailures);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), batches.SelectMany(b => b.AckTags));
        Assert.Equal(200, _storage.Scalar("SELECT count(DISTINCT device_seq) FROM messages"));
        Assert.Equal(200, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(4, _storage.Scalar("SELECT count(*) FROM series"));
        Assert.Equal(0, _storage.Scalar("SELECT count(*) FROM messages m LEFT JOIN series s ON s.id = m.series_id WHERE s.id IS NULL"));
        Assert.Equal(2, _storage.Logs.WithEventId(3011).Count);
    }

    [Fact]
    public async Task Cancelling_commits_and_reports_what_is_queued_then_returns()
    {
        var database = await _storage.OpenAsync(o => o.MaxBatchLatency = TimeSpan.FromMinutes(5));
        var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        var reported = new List<long>();
        var tokensWereLive = new List<bool>();
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(channel.Reader, (b, ct) =>
        {
            lock (reported)
            {
                reported.AddRange(b.AckTags);
                tokensWereLive.Add(!ct.IsCancellationRequested);
            }

            return ValueTask.CompletedTask;
        }, stop.Token);
        channel.Writer.TryWrite(TestStorage.Record("sensors/a", "1", seq: 1, ackTag: 1));
        await Wait.UntilAsync(() => channel.Reader.Count == 0, TestStorage.Patience, "the writer took the first record");
        for (var i = 2; i <= 5; i++)
        {
            channel.Writer.TryWrite(TestStorage.Record("sensors/a", $"{i}", seq: i, ackTag: i));
        }

        await stop.CancelAsync();
        await run.WaitAsync(Generous);

        Assert.Equal([1L, 2L, 3L, 4L, 5L], reported);
        Assert.All(tokensWereLive, Assert.True);
        Assert.Equal(5, _storage.Scalar("SELECT count(*) FROM messages"));
    }

    [Fact]
    public async Task The_heartbeat_beats_while_idle()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        var beats = 0;
        writer.Heartbeat = () => Interlocked.Increment(ref beats);
        var channel = Channel.CreateUnbounded<IngestRecord>();
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(channel.Reader, (_, _) => ValueTask.CompletedTask, stop.Token);

        await Wait.UntilAsync(() => Volatile.Read(ref beats) >= 4, TestStorage.Patience, "the idle writer beat four times");
        await stop.CancelAsync();
        await run.WaitAsync(Generous);
    }

    [Fact]
    public async Task The_heartbeat_beats_while_a_long_batch_is_collected()
    {
        var database = await _storage.OpenAsync(o => o.MaxBatchLatency = TimeSpan.FromSeconds(3));
        var writer = database.CreateWriter();
        var beats = 0;
        var beatsAtCommit = -1;
        writer.Heartbeat = () => Interlocked.Increment(ref beats);
        var channel = Channel.CreateUnbounded<IngestRecord>();
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(channel.Reader, (_, _) =>
        {
            Volatile.Write(ref beatsAtCommit, Volatile.Read(ref beats));
            return ValueTask.CompletedTask;
        }, stop.Token);
        await Wait.UntilAsync(() => Volatile.Read(ref beats) >= 1, TestStorage.Patience, "the writer started");
        var beatsBefore = Volatile.Read(ref beats);

        channel.Writer.TryWrite(TestStorage.Record("sensors/a", "1", seq: 1));
        await Wait.UntilAsync(() => Volatile.Read(ref beatsAtCommit) >= 0, TestStorage.Patience, "the batch committed at its deadline");

        Assert.True(beatsAtCommit - beatsBefore >= 3, $"{beatsAtCommit - beatsBefore} beats while collecting for 3 s");
        await stop.CancelAsync();
        await run.WaitAsync(Generous);
    }

    [Fact]
    public async Task PauseAsync_holds_the_writer_at_a_boundary_while_records_queue_and_resumes()
    {
        var database = await _storage.OpenAsync(o => o.MaxBatchLatency = TimeSpan.FromMilliseconds(300));
        var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        var reported = new List<long>();
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(channel.Reader, (b, _) =>
        {
            lock (reported)
            {
                reported.AddRange(b.AckTags);
            }

            return ValueTask.CompletedTask;
        }, stop.Token);

        // A batch is being collected: the pause resolves only after it committed and was reported.
        channel.Writer.TryWrite(TestStorage.Record("sensors/a", "1", seq: 1, ackTag: 1));
        await Wait.UntilAsync(() => channel.Reader.Count == 0, TestStorage.Patience, "the writer took the first record");
        var pause = await writer.PauseAsync(CancellationToken.None).WaitAsync(Generous);
        Assert.True(writer.IsPaused);
        lock (reported)
        {
            Assert.Equal([1L], reported);
        }

        for (var i = 2; i <= 6; i++)
        {
            channel.Writer.TryWrite(TestStorage.Record("sensors/a", $"{i}", seq: i, ackTag: i));
        }

        await Task.Delay(500);
        Assert.Equal(5, channel.Reader.Count);
        Assert.Equal(1, _storage.Scalar("SELECT count(*) FROM messages"));
        long autocommit = -1;
        await writer.RunOnWriterAsync((connection, _) =>
        {
            autocommit = SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle);
            return Task.CompletedTask;
        }, CancellationToken.None).WaitAsync(Generous);
        Assert.Equal(1, autocommit); // no transaction open while paused

        await pause.DisposeAsync();
        await Wait.UntilAsync(() => { lock (reported) { return reported.Count == 6; } }, TestStorage.Patience, "the queued records were committed after resuming");
        Assert.False(writer.IsPaused);
        Assert.Equal(6, _storage.Scalar("SELECT count(*) FROM messages"));
        await stop.CancelAsync();
        await run.WaitAsync(Generous);
    }

    [Fact]
    public async Task RunOnWriterAsync_works_before_the_loop_starts_and_a_second_writer_is_refused()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();

        long pages = 0;
        await writer.RunOnWriterAsync((connection, _) =>
        {
            pages = SqliteConnectionFactory.ExecuteInt64(connection, "PRAGMA page_count");
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.True(pages > 0);
        Assert.Throws<InvalidOperationException>(() => database.CreateWriter());
        await writer.DisposeAsync();
        await using var second = database.CreateWriter();
    }

    [Fact]
    public async Task Series_ids_are_cached_across_writers_and_new_series_get_new_ids()
    {
        var database = await _storage.OpenAsync();
        await using (var first = database.CreateWriter())
        {
            await TestStorage.WriteAllAsync(first, [TestStorage.Record("sensors/a", "1", seq: 1)]);
        }

        await using var second = database.CreateWriter();
        await TestStorage.WriteAllAsync(second, [TestStorage.Record("sensors/a", "2", seq: 2), TestStorage.Record("sensors/b", "1", seq: 1)]);

        Assert.Equal(2, _storage.Scalar("SELECT count(*) FROM series"));
        Assert.Equal(1, _storage.Scalar("SELECT count(DISTINCT series_id) FROM messages m JOIN series s ON s.id = m.series_id WHERE s.topic = 'sensors/a'"));
    }

    private static List<CommittedBatch> Snapshot(List<CommittedBatch> batches)
    {
        lock (batches)
        {
            return [.. batches];
        }
    }
}
