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
    public async Task Forty_eight_look_alike_readings_are_forty_eight_rows()
    {
        // What real sensors send: a 10 Hz sensor holding steady, a plain "pulse" counter, and a device that restarted
        // its sequence. None of them is a redelivery (DUP=0, fresh packet ids), so every one is a reading.
        var database = await _storage.OpenAsync();
        var records = new List<IngestRecord>();
        ushort packetId = 1;
        for (var i = 0; i < 40; i++)
        {
            records.Add(TestStorage.Record("sensors/steady", "{\"temp\":21.5}", receivedAtMs: 50_000 + i * 10, ackTag: 100 + i) with { PacketId = packetId++ });
        }

        for (var i = 0; i < 3; i++)
        {
            records.Add(TestStorage.Record("sensors/pulse", "pulse", receivedAtMs: 50_000, ackTag: 200 + i) with { PacketId = packetId++ });
        }

        for (var i = 0; i < 5; i++)
        {
            records.Add(TestStorage.Record("sensors/restarted", $"{{\"seq\":7,\"temp\":{20 + i}}}", seq: 7, receivedAtMs: 50_000, ackTag: 300 + i) with { PacketId = packetId++ });
        }

        var batches = await TestStorage.WriteAllAsync(database.CreateWriter(), records);

        Assert.Equal(48, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(40, _storage.Scalar("SELECT count(*) FROM messages m JOIN series s ON s.id = m.series_id WHERE s.topic = 'sensors/steady'"));
        Assert.Equal((48, 0), (batches.Sum(b => b.Inserted), batches.Sum(b => b.Redeliveries)));
        Assert.Equal(48, batches.SelectMany(b => b.AckTags).Count());
    }

    [Fact]
    public async Task A_redelivery_of_an_unacknowledged_record_is_recognised_and_acknowledged_without_a_row()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        var original = Qos1("sensors/a", "{\"temp\":1}", packetId: 42, tag: 1);

        // Committed, never settled nor acknowledged: what kill -9 right after COMMIT leaves behind.
        await TestStorage.WriteAllAsync(writer, [original]);
        Assert.Equal([(42L, 0L)], Ledger());

        var batches = await WriteAndSettleAsync(writer, [IngestRecord.SessionResumed(), original with { AckTag = 2, Redelivered = true, ReceivedAtUnixMs = 99_000 }], _ => true);

        Assert.Equal(1, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(1, batches.Sum(b => b.Redeliveries));
        Assert.Equal([2L], batches.SelectMany(b => b.AckTags));
        Assert.Equal(1, writer.Counters.Redeliveries);
    }

    [Fact]
    public async Task Settling_marks_every_QoS_1_record_but_the_newest_acknowledged_and_holds_the_newest_acknowledgement_back()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        var settled = new List<IReadOnlyList<long>>();

        await WriteAndSettleAsync(writer, [Qos1("s/a", "1", 1, tag: 11), Qos1("s/a", "2", 2, tag: 12), Qos1("s/a", "3", 3, tag: 13)], _ => true, settled.Add);
        Assert.Equal([11L, 12L], settled[^1]);
        Assert.Equal([(1L, 1L), (2L, 1L), (3L, 0L)], Ledger());

        await WriteAndSettleAsync(writer, [Qos1("s/a", "4", 4, tag: 14), Qos1("s/a", "5", 5, tag: 15)], _ => true, settled.Add);
        Assert.Equal([14L, 13L], settled[^1]); // the held one goes out with the next batch
        Assert.Equal([(1L, 1L), (2L, 1L), (3L, 1L), (4L, 1L), (5L, 0L)], Ledger());
    }

    [Fact]
    public async Task Lost_PUBACKs_are_recognised_from_the_order_of_the_resend_and_nothing_is_stored_twice()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        await WriteAndSettleAsync(writer, Enumerable.Range(1, 5).Select(i => Qos1("s/a", "same", (ushort)i, tag: i)), _ => true);

        // kill -9: the PUBACKs of 3 and 4 were marked acknowledged but never reached the broker, 5 was held back. The
        // broker resends what it holds in the order it first sent it.
        var resend = new[] { 3, 4, 5 }.Select(i => Qos1("s/a", "same", (ushort)i, tag: 100 + i) with { Redelivered = true });
        var batches = await WriteAndSettleAsync(writer, [IngestRecord.SessionResumed(), .. resend], _ => true);

        Assert.Equal(5, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(3, batches.Sum(b => b.Redeliveries));
    }

    [Fact]
    public async Task A_DUP_message_that_reuses_an_acknowledged_id_after_newer_redeliveries_is_a_new_message_and_is_stored()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        await WriteAndSettleAsync(writer, Enumerable.Range(1, 5).Select(i => Qos1("s/a", "same", (ushort)i, tag: i)), _ => true);

        // The broker had 1..4's PUBACKs, reused id 2 for a new reading and sent it; kill -9 before it was committed. It
        // comes back (DUP=1) after the held message 5, which the broker must resend first.
        var batches = await WriteAndSettleAsync(writer,
        [
            IngestRecord.SessionResumed(),
            Qos1("s/a", "same", 5, tag: 105) with { Redelivered = true },
            Qos1("s/a", "same", 2, tag: 102) with { Redelivered = true },
        ], _ => true);

        Assert.Equal(6, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal((1, 1), (batches.Sum(b => b.Redeliveries), batches.Sum(b => b.Inserted)));
        Assert.Single(_storage.Logs.WithEventId(3020));
    }

    [Fact]
    public async Task A_stop_keeps_the_held_acknowledgement_and_the_acknowledged_records()
    {
        // Closing a connection the broker still sends on can reset it and lose PUBACKs in flight: their records, and the
        // held one, must still recognise the redeliveries on the next start.
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        var settled = new List<IReadOnlyList<long>>();

        await WriteAndSettleAsync(writer, [Qos1("s/a", "1", 1, tag: 11), Qos1("s/a", "2", 2, tag: 12)], _ => true, settled.Add);

        Assert.Equal([[11L]], settled);
        Assert.Equal([(1L, 1L), (2L, 0L)], Ledger());
    }

    [Fact]
    public async Task An_idle_writer_releases_the_held_acknowledgement_after_a_second()
    {
        var time = new TrackingTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var database = await _storage.OpenAsync(o => o.MaxBatchLatency = TimeSpan.Zero, time);
        var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        var settled = new List<IReadOnlyList<long>>();

        // Both records are queued before the writer starts, so they are one batch (with MaxBatchLatency 0 a writer
        // already running may take the first alone, and then the second batch releases 21 and holds 22).
        channel.Writer.TryWrite(Qos1("s/a", "1", 1, tag: 21));
        channel.Writer.TryWrite(Qos1("s/a", "2", 2, tag: 22));
        var run = writer.RunAsync(channel.Reader, async (batch, ct) =>
        {
            var result = await batch.SettleAsync(_ => true, ct);
            lock (settled)
            {
                settled.Add(result);
            }
        }, CancellationToken.None);
        await Wait.UntilAsync(() => _storage.Scalar("SELECT count(*) FROM messages") == 2 && Count(settled) >= 1, Generous, "the batch settled");
        Assert.Equal([(1L, 1L), (2L, 0L)], Ledger());

        time.Advance(BatchWriter.HeldAcknowledgementIdleRelease + BatchWriter.HeartbeatInterval);
        await Wait.UntilAsync(() => Count(settled) >= 2, Generous, "the held acknowledgement released");

        Assert.Equal([22L], settled[1]);
        Assert.Empty(Ledger());
        channel.Writer.Complete();
        await run.WaitAsync(Generous);
    }

    [Fact]
    public async Task A_DUP_message_whose_id_is_not_recorded_or_recorded_at_another_QoS_is_stored()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();

        // DUP=1 without a record: the first copy never reached a commit (its connection died first).
        await TestStorage.WriteAllAsync(writer, [Qos1("s/a", "x", 7, tag: 1) with { Redelivered = true }]);

        // A QoS 2 DUP with an id recorded at QoS 1 is not that message (a duplicate is recoverable, a loss is not).
        await TestStorage.WriteAllAsync(writer, [TestStorage.Record("s/a", "x", ackTag: 3, qos: 2) with { PacketId = 7, Redelivered = true }]);

        Assert.Equal(2, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(0, writer.Counters.Redeliveries);
    }

    [Fact]
    public async Task A_tag_whose_connection_is_gone_is_not_acknowledged_and_its_record_stays_unacknowledged()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        var settled = new List<IReadOnlyList<long>>();

        await WriteAndSettleAsync(writer, [Qos1("s/a", "1", 1, tag: 10), Qos1("s/a", "2", 2, tag: 11), Qos1("s/a", "3", 3, tag: 12)], tag => tag != 11, settled.Add);

        Assert.Equal([10L], settled[^1]);
        Assert.Equal([(1L, 1L), (2L, 0L), (3L, 0L)], Ledger());
    }

    [Fact]
    public async Task A_copy_and_its_redelivery_in_one_batch_are_one_row()
    {
        // The first copy arrived on a connection that died before its commit; the broker resent it (DUP=1) on the next.
        var database = await _storage.OpenAsync();
        var first = Qos1("sensors/a", "r", 9, tag: 1);

        var batches = await WriteAndSettleAsync(database.CreateWriter(), [first, IngestRecord.SessionResumed(), first with { AckTag = 2, Redelivered = true }], tag => tag == 2);

        Assert.Equal(1, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal((1, 1), (batches.Sum(b => b.Inserted), batches.Sum(b => b.Redeliveries)));
    }

    [Fact]
    public async Task A_QoS_2_id_stays_recorded_from_PUBREC_until_PUBREL_and_the_release_is_reported_after_it_is_forgotten()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        var message = TestStorage.Record("sensors/a", "q2", ackTag: 1, qos: 2) with { PacketId = 300 };
        var settled = new List<IReadOnlyList<long>>();

        await WriteAndSettleAsync(writer, [message], _ => true, settled.Add);
        Assert.Equal([1L], settled[^1]); // PUBREC at once: QoS 2 needs no held acknowledgement
        Assert.Equal([(300L, 0L)], Ledger());

        await WriteAndSettleAsync(writer, [IngestRecord.SessionResumed(), message with { AckTag = 2, Redelivered = true }], _ => true);
        Assert.Equal(1, _storage.Scalar("SELECT count(*) FROM messages"));

        var reportedWhileRecorded = -1L;
        var channel = Channel.CreateUnbounded<IngestRecord>();
        channel.Writer.TryWrite(IngestRecord.Release(300, ackTag: 3));
        channel.Writer.Complete();
        var released = 0;
        await writer.RunAsync(channel.Reader, (batch, _) =>
        {
            reportedWhileRecorded = _storage.Scalar("SELECT count(*) FROM ack_ledger");
            released += batch.Released;
            Assert.Equal([3L], batch.AckTags);
            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(Generous);

        Assert.Equal(0, reportedWhileRecorded); // forgotten durably before the PUBCOMP may go out
        Assert.Equal(1, released);
    }

    [Fact]
    public async Task A_new_session_forgets_every_recorded_id_before_the_messages_after_it()
    {
        var database = await _storage.OpenAsync();
        var writer = database.CreateWriter();
        await TestStorage.WriteAllAsync(writer, [Qos1("sensors/a", "old session", 5, tag: 1)]);

        // The broker lost the session: a DUP=1 message with id 5 is a different message now, and must be stored.
        await TestStorage.WriteAllAsync(writer, [IngestRecord.NewSession(), Qos1("sensors/a", "new session", 5, tag: 2) with { Redelivered = true }]);

        Assert.Equal(2, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(0, writer.Counters.Redeliveries);
    }

    [Fact]
    public async Task The_ledger_survives_a_crash_between_commit_and_acknowledgement()
    {
        await using (var crashed = await TelemetryDatabase.OpenAsync(_storage.Options(), _storage.Logs, TimeProvider.System, CancellationToken.None))
        {
            await TestStorage.WriteAllAsync(crashed.CreateWriter(), Enumerable.Range(1, 50).Select(i => Qos1("sensors/a", "same", (ushort)i, tag: i)));
        }

        var database = await _storage.OpenAsync();
        var redelivered = Enumerable.Range(1, 50).Select(i => Qos1("sensors/a", "same", (ushort)i, tag: 100 + i) with { Redelivered = true });
        var batches = await WriteAndSettleAsync(database.CreateWriter(), [IngestRecord.SessionResumed(), .. redelivered], _ => true);

        Assert.Equal(50, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(50, batches.Sum(b => b.Redeliveries));
        Assert.Equal(49, _storage.Scalar("SELECT count(*) FROM ack_ledger WHERE acked = 1"));
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

    private static IngestRecord Qos1(string topic, string payload, ushort packetId, long tag) =>
        TestStorage.Record(topic, payload, ackTag: tag) with { PacketId = packetId };

    // (packet id, acked) of every ledger record, by packet id.
    private List<(long PacketId, long Acked)> Ledger()
    {
        using var connection = _storage.OpenSeparateConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT packet_id, acked FROM ack_ledger ORDER BY packet_id";
        using var reader = command.ExecuteReader();
        var rows = new List<(long, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetInt64(1)));
        }

        return rows;
    }

    // Runs the writer over the records and settles every batch as the daemon does right before acknowledging.
    private static async Task<List<CommittedBatch>> WriteAndSettleAsync(BatchWriter writer, IEnumerable<IngestRecord> records, Func<long, bool> willAcknowledge, Action<IReadOnlyList<long>>? settled = null)
    {
        var channel = Channel.CreateUnbounded<IngestRecord>();
        foreach (var record in records)
        {
            channel.Writer.TryWrite(record);
        }

        channel.Writer.Complete();
        var batches = new List<CommittedBatch>();
        await writer.RunAsync(channel.Reader, async (batch, ct) =>
        {
            batches.Add(batch);
            var acknowledgeable = await batch.SettleAsync(willAcknowledge, ct);
            settled?.Invoke(acknowledgeable);
        }, CancellationToken.None).WaitAsync(Generous);
        return batches;
    }

    private static int Count(List<IReadOnlyList<long>> settled)
    {
        lock (settled)
        {
            return settled.Count;
        }
    }

    [Fact]
    public async Task The_writer_releases_each_payload_after_its_batch_commits_so_the_blocks_are_used_again()
    {
        var database = await _storage.OpenAsync(o =>
        {
            o.MaxBatchRows = 500;
            o.MaxBatchLatency = TimeSpan.FromMinutes(10);
        });
        var slab = new PayloadSlab();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        using var committed = new SemaphoreSlim(0);
        var run = database.CreateWriter().RunAsync(channel.Reader, (_, _) =>
        {
            committed.Release();
            return ValueTask.CompletedTask;
        }, CancellationToken.None);

        var expected = new List<string>();
        for (var batch = 0; batch < 40; batch++)
        {
            for (var i = 0; i < 500; i++)
            {
                var seq = (batch * 500) + i;
                var text = $"{{\"seq\":{seq},\"pad\":\"{new string((char)('a' + (seq % 26)), 80)}\"}}";
                var bytes = Encoding.UTF8.GetBytes(text);
                var memory = slab.Allocate(bytes.Length, out var owner);
                bytes.CopyTo(memory);
                channel.Writer.TryWrite(new IngestRecord("sensors/d1", memory, 1, false, 1_767_225_600_000, null, seq, null, 0) { PayloadBlock = (PayloadBlock)owner! });
                expected.Add(text);
            }

            if (!await committed.WaitAsync(Generous))
            {
                await run.WaitAsync(TimeSpan.FromSeconds(1)); // a writer that died says why
                Assert.Fail($"batch {batch} was not committed within {Generous.TotalSeconds} s");
            }
        }

        channel.Writer.Complete();
        await run.WaitAsync(Generous);

        // 40 batches of about 50 KB: without the releases after each commit every batch would need a block of its own.
        Assert.InRange(slab.BlocksAllocated, 1, 4);
        using var connection = _storage.OpenSeparateConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT CAST(payload AS TEXT) FROM messages ORDER BY id";
        var stored = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                stored.Add(reader.GetString(0));
            }
        }

        Assert.Equal(expected, stored);
    }
}
