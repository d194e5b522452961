using EdgeStore.Storage.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Storage.Tests.Schema;

public sealed class SchemaMigratorTests : IAsyncLifetime
{
    private readonly TestStorage _storage = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _storage.DisposeAsync();

    [Fact]
    public async Task Opening_a_missing_file_creates_directory_and_latest_schema()
    {
        var database = await _storage.OpenAsync();

        Assert.Equal(5, database.SchemaVersion);
        Assert.Equal(TelemetryDatabase.LatestSchemaVersion, database.SchemaVersion);
        Assert.True(File.Exists(_storage.DatabasePath));
        Assert.Equal(5, _storage.Scalar("PRAGMA user_version"));
        Assert.Equal(4096, _storage.Scalar("PRAGMA page_size"));
        AssertContractSchema();
    }

    [Fact]
    public async Task Reopening_the_latest_schema_changes_nothing()
    {
        await using (var first = await TelemetryDatabase.OpenAsync(_storage.Options(), _storage.Logs, TimeProvider.System, CancellationToken.None))
        {
            await TestStorage.WriteAllAsync(first.CreateWriter(), [TestStorage.Record("sensors/a", "1", seq: 1, deviceTs: 10)]);
        }

        var migrationsBefore = _storage.Logs.WithEventId(3002).Count;
        var second = await _storage.OpenAsync();

        Assert.Equal(5, second.SchemaVersion);
        Assert.Equal(migrationsBefore, _storage.Logs.WithEventId(3002).Count);
        Assert.Equal(1, _storage.Scalar("SELECT count(*) FROM messages"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Migrates_from_every_earlier_version(int startVersion)
    {
        CreateFileAtVersion(startVersion);

        var database = await _storage.OpenAsync();

        Assert.Equal(5, database.SchemaVersion);
        Assert.Equal(5, _storage.Scalar("PRAGMA user_version"));
        AssertContractSchema();
        Assert.Equal(5 - startVersion, _storage.Logs.WithEventId(3002).Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Every_row_survives_the_migration_look_alikes_included_and_later_look_alikes_are_stored(int startVersion)
    {
        CreateFileAtVersion(startVersion);
        using (var connection = OpenPlain())
        {
            if (startVersion == 2)
            {
                // What EdgeStore 0.1's version 2 left in a file: payload-hash columns and content keys (not unique here,
                // since the rows below are what those keys wrongly refused).
                Execute(connection, """
                    ALTER TABLE messages ADD COLUMN payload_hash INTEGER NULL;
                    ALTER TABLE messages ADD COLUMN hash_collision INTEGER NOT NULL DEFAULT 0;
                    CREATE INDEX ux_messages_device_seq_ts ON messages(series_id, device_seq, device_ts_ms);
                    CREATE INDEX ux_messages_content ON messages(series_id, received_at_ms / 1000, payload_hash, hash_collision);
                    """);
            }

            Execute(connection, """
                INSERT INTO series(id, topic) VALUES (1, 'sensors/a'), (2, 'sensors/b');
                INSERT INTO messages(series_id, received_at_ms, device_ts_ms, device_seq, qos, retain, payload) VALUES
                  (1, 1000, 500, 7, 1, 0, x'01'),
                  (1, 1200, 500, 7, 1, 0, x'01'),
                  (1, 1300, 900, 7, 1, 0, x'02'),
                  (1, 1400, NULL, 8, 1, 0, x'03'),
                  (2, 5000, NULL, NULL, 0, 0, x'aa'),
                  (2, 5001, NULL, NULL, 0, 0, x'aa');
                """);
        }

        var database = await _storage.OpenAsync();

        Assert.Equal(5, database.SchemaVersion);
        Assert.Equal(6, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(0, _storage.Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'ux_%'"));
        AssertContractSchema();
        Assert.Single(_storage.Logs.WithEventId(3018), line => line.Message.Contains("to 3 (6 rows", StringComparison.Ordinal));

        // Readings that look like stored ones are readings too.
        await TestStorage.WriteAllAsync(database.CreateWriter(),
        [
            new IngestRecord("sensors/a", new byte[] { 1 }, 1, false, 9000, 500, 7, null, 1),
            new IngestRecord("sensors/b", new byte[] { 0xaa }, 0, false, 5002, null, null, null, 0),
        ]);
        Assert.Equal(8, _storage.Scalar("SELECT count(*) FROM messages"));
    }

    [Fact]
    public async Task Each_step_is_reported_when_it_starts_with_its_versions_and_row_count()
    {
        CreateFileAtVersion(1);
        using (var connection = OpenPlain())
        {
            Execute(connection, """
                INSERT INTO series(id, topic) VALUES (1, 'sensors/a');
                INSERT INTO messages(series_id, received_at_ms, qos, retain, payload) VALUES (1, 1, 1, 0, x'01'), (1, 2, 1, 0, x'02'), (1, 3, 1, 0, x'03');
                """);
        }

        var reports = new List<MigrationProgress>();
        await using var database = await TelemetryDatabase.OpenAsync(
            _storage.Options(), _storage.Logs, TimeProvider.System, new CallbackProgress(reports.Add), CancellationToken.None);

        Assert.Equal(SchemaMigrator.LatestVersion, database.SchemaVersion);
        Assert.Equal([(1, 2, 3L), (2, 3, 3L), (3, 4, 3L), (4, 5, 3L)], reports.Select(r => (r.FromVersion, r.ToVersion, r.Rows)));
        Assert.Equal("series/time and quarantine time indexes", reports[0].Step);
        Assert.Contains(_storage.Logs.WithEventId(3018), line => line.Message.Contains("from schema version 1 to 2 (3 rows", StringComparison.Ordinal));
    }

    [Fact]
    public void A_stop_requested_during_a_step_rolls_that_step_back_and_keeps_every_row()
    {
        const int rows = 300_000;
        CreateFileAtVersion(1);
        using var connection = OpenPlain();
        Execute(connection, $"""
            INSERT INTO series(id, topic) VALUES (1, 'sensors/a'), (2, 'sensors/b');
            WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows})
            INSERT INTO messages(series_id, received_at_ms, qos, retain, payload) SELECT 1 + i % 2, i, 1, 0, x'01' FROM s;
            """);
        using var stop = new CancellationTokenSource();
        var logger = _storage.Logs.CreateLogger("migration");

        // The stop is requested as the step starts, so SQLite's first progress check inside the index build interrupts it:
        // deterministic, with no clock involved.
        var error = Assert.Throws<OperationCanceledException>(() => SchemaMigrator.Migrate(
            connection, _storage.DatabasePath, logger, SchemaMigrator.LatestVersion, new CallbackProgress(_ => stop.Cancel()), stop.Token));

        Assert.Equal(stop.Token, error.CancellationToken);
        Assert.Equal(1, SchemaMigrator.ReadVersion(connection));
        Assert.Equal(rows, _storage.Scalar("SELECT count(*) FROM messages"));
        Assert.Equal(0, _storage.Scalar("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_messages_series_time'"));
        Assert.Single(_storage.Logs.WithEventId(3022)); // "Stop requested ...", said when the stop arrives
        var stopped = Assert.Single(_storage.Logs.WithEventId(3021));
        Assert.Contains("still at schema version 1 with every row", stopped.Message, StringComparison.Ordinal);
        Assert.Empty(_storage.Logs.WithEventId(3002));

        // The same file migrates completely at the next start.
        Assert.Equal(SchemaMigrator.LatestVersion, SchemaMigrator.Migrate(connection, _storage.DatabasePath, logger));
        Assert.Equal(rows, _storage.Scalar("SELECT count(*) FROM messages"));
    }

    [Fact]
    public async Task A_newer_schema_is_refused_with_a_clear_error_and_left_untouched()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_storage.DatabasePath)!);
        using (var connection = OpenPlain())
        {
            Execute(connection, "CREATE TABLE future(x); PRAGMA user_version=6;");
        }

        var error = await Assert.ThrowsAsync<UnsupportedSchemaVersionException>(() => _storage.OpenAsync());

        Assert.Equal(6, error.FoundVersion);
        Assert.Equal(5, error.KnownVersion);
        Assert.Contains("schema version 6", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer EdgeStore", error.Message, StringComparison.Ordinal);
        Assert.Equal(6, _storage.Scalar("PRAGMA user_version"));
        Assert.Equal(0, _storage.Scalar("SELECT count(*) FROM sqlite_master WHERE name = 'messages'"));
        Assert.Throws<UnsupportedSchemaVersionException>(() => TelemetryReader.OpenReadOnly(_storage.DatabasePath));
    }

    [Fact]
    public void Reading_a_file_that_is_not_yet_an_edgestore_database_is_refused()
    {
        CreateFileAtVersion(0);

        var error = Assert.Throws<UnsupportedSchemaVersionException>(() => TelemetryReader.OpenReadOnly(_storage.DatabasePath));

        Assert.Contains("schema version 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readings_view_shows_topic_iso_times_and_text_payloads()
    {
        var database = await _storage.OpenAsync();
        await TestStorage.WriteAllAsync(database.CreateWriter(),
        [
            TestStorage.Record("sensors/a", "{\"t\":21.5}", seq: 3, deviceTs: 1_767_225_599_001, receivedAtMs: 1_767_225_600_123),
            new IngestRecord("sensors/b", new byte[] { 0x01, 0x00, 0xff }, 0, true, 1_767_225_600_999, null, null, null, 0),
        ]);

        using var connection = _storage.OpenSeparateConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT topic, received_at, received_at_ms, device_ts, device_seq, qos, retain, payload_text, length(payload) FROM readings ORDER BY id";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("sensors/a", reader.GetString(0));
        Assert.Equal("2026-01-01T00:00:00.123Z", reader.GetString(1));
        Assert.Equal(1_767_225_600_123, reader.GetInt64(2));
        Assert.Equal("2025-12-31T23:59:59.001Z", reader.GetString(3));
        Assert.Equal(3, reader.GetInt64(4));
        Assert.Equal(1, reader.GetInt64(5));
        Assert.Equal(0, reader.GetInt64(6));
        Assert.Equal("{\"t\":21.5}", reader.GetString(7));
        Assert.True(reader.Read());
        Assert.Equal("2026-01-01T00:00:00.999Z", reader.GetString(1));
        Assert.True(reader.IsDBNull(3));
        Assert.True(reader.IsDBNull(4));
        Assert.Equal(1, reader.GetInt64(6));
        Assert.True(reader.IsDBNull(7));
        Assert.Equal(3, reader.GetInt64(8));
        Assert.False(reader.Read());
    }

    [Fact]
    public void A_version_4_file_is_still_readable_before_the_daemon_adds_the_view()
    {
        CreateFileAtVersion(4);

        var reader = TelemetryReader.OpenReadOnly(_storage.DatabasePath);

        Assert.NotNull(reader);
        Assert.Equal(4, _storage.Scalar("PRAGMA user_version"));
    }

    private void CreateFileAtVersion(int version)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_storage.DatabasePath)!);
        using var connection = OpenPlain();
        Execute(connection, "PRAGMA journal_mode=WAL");
        SchemaMigrator.Migrate(connection, _storage.DatabasePath, NullLogger.Instance, targetVersion: version);
        Assert.Equal(version, SchemaMigrator.ReadVersion(connection));
    }

    private SqliteConnection OpenPlain()
    {
        var connection = new SqliteConnection($"Data Source={_storage.DatabasePath};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private void AssertContractSchema()
    {
        using var connection = _storage.OpenSeparateConnection();
        Assert.Equal(["id", "topic"], Columns(connection, "series"));
        Assert.Equal(
            ["id", "series_id", "received_at_ms", "device_ts_ms", "device_seq", "qos", "retain", "payload"],
            Columns(connection, "messages"));
        Assert.Equal(["id", "topic", "payload", "reason", "received_at_ms"], Columns(connection, "quarantine"));
        var indexes = Names(connection, "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name");
        Assert.Equal(["ix_messages_series_time", "ix_quarantine_received"], indexes);
        Assert.Equal(["packet_id", "qos", "seq", "acked", "recorded_at_ms"], Columns(connection, "ack_ledger"));
        Assert.Equal(["stream", "forwarded_through", "updated_at_ms"], Columns(connection, "uplink_cursor"));
        Assert.Equal(
            ["id", "topic", "received_at", "received_at_ms", "device_ts", "device_ts_ms", "device_seq", "qos", "retain", "payload_text", "payload"],
            Columns(connection, "readings"));
        Assert.Equal(["readings"], Names(connection, "SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name"));
    }

    private static List<string> Columns(SqliteConnection connection, string table) =>
        Names(connection, $"SELECT name FROM pragma_table_info('{table}') ORDER BY cid");

    private static List<string> Names(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var names = new List<string>();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    private sealed class CallbackProgress(Action<MigrationProgress> report) : IProgress<MigrationProgress>
    {
        public void Report(MigrationProgress value) => report(value);
    }
}
