using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// Test data only: a database the real daemon created and migrated (it runs once with the uplink disabled until it has
/// subscribed, then gets SIGTERM), filled with stored rows by a bulk insert in one transaction. Nothing has been
/// forwarded from it (no `uplink_cursor` row), so an uplink started on a copy has all of them as its backlog.
/// </summary>
internal static class BacklogDatabase
{
    public static async Task<string> CreateAsync(UplinkBenchOptions options, string directory, int rows)
    {
        var path = Path.Combine(directory, "backlog.db");
        await using (var gateway = await BenchBroker.StartAsync(directory, "gateway", maxInflightMessages: 1000))
        {
            using var daemon = DaemonLaunch.Start(options, path, gateway.Port, upstreamPort: null);
            await daemon.WaitForLineAsync(DaemonLaunch.SubscribedLine, TimeSpan.FromSeconds(90));
            var exitCode = await daemon.StopAsync(TimeSpan.FromSeconds(30));
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"the daemon that created the database exited with {exitCode}:\n{daemon.Output}");
            }
        }

        var clock = Stopwatch.StartNew();
        Fill(path, rows, devices: options.Devices);
        Console.WriteLine($"backlog: {rows:N0} rows inserted in {clock.Elapsed.TotalSeconds:F1} s, {new FileInfo(path).Length / 1024.0 / 1024.0:F0} MiB");
        return path;
    }

    private static void Fill(string path, int rows, int devices)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        Execute(connection, "PRAGMA synchronous=OFF");
        using (var check = connection.CreateCommand())
        {
            check.CommandText = "SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM uplink_cursor)";
            if ((long)check.ExecuteScalar()! != 0)
            {
                throw new InvalidOperationException($"{path} is not empty");
            }
        }

        using (var transaction = connection.BeginTransaction())
        {
            using var series = connection.CreateCommand();
            series.Transaction = transaction;
            series.CommandText = "INSERT INTO series(id, topic) VALUES($id, $topic)";
            var seriesId = series.Parameters.Add("$id", SqliteType.Integer);
            var topic = series.Parameters.Add("$topic", SqliteType.Text);
            for (var device = 1; device <= devices; device++)
            {
                seriesId.Value = device;
                topic.Value = SensorReading.Topic(device);
                series.ExecuteNonQuery();
            }

            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT INTO messages(id, series_id, received_at_ms, device_ts_ms, device_seq, qos, retain, payload)
                VALUES($id, $series, $received, $device_ts, $seq, 1, 0, $payload)
                """;
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var seriesOfRow = insert.Parameters.Add("$series", SqliteType.Integer);
            var received = insert.Parameters.Add("$received", SqliteType.Integer);
            var deviceTs = insert.Parameters.Add("$device_ts", SqliteType.Integer);
            var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
            var payload = insert.Parameters.Add("$payload", SqliteType.Blob);
            insert.Prepare();

            // One row per millisecond ending now: recent enough that no retention setting touches them.
            var first = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - rows;
            for (var row = 0; row < rows; row++)
            {
                var device = (row % devices) + 1;
                var sequence = (row / devices) + 1;
                var at = first + row;
                id.Value = row + 1;
                seriesOfRow.Value = device;
                received.Value = at;
                deviceTs.Value = at - 3;
                seq.Value = sequence;
                payload.Value = SensorReading.Payload(device, sequence, at - 3);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        // The copies each run starts from are the main file alone.
        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
