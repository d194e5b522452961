using System.Runtime.CompilerServices;
using System.Globalization;
using System.Text;
using EdgeStore.Commands;
using EdgeStore.Configuration;
using EdgeStore.Status;
using EdgeStore.Ingest;
using EdgeStore.Mqtt;
using EdgeStore.Store;
using EdgeStore.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Tests.Ingest;

/// <summary>
/// The ingest pipeline in-process, against a real mosquitto and a real SQLite file: what is published is stored once,
/// a stop in the middle of a stream loses nothing (what was not committed was not acknowledged and comes back), and a
/// queue much smaller than the stream only slows the socket down.
/// </summary>
public sealed class IngestServiceTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly MosquittoBroker _broker = MosquittoBroker.Start();
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-ingest-").FullName;

    public void Dispose()
    {
        _broker.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Every_message_is_stored_once_across_a_stop_in_the_middle_of_the_stream()
    {
        const int devices = 5;
        const int perDevice = 400;
        var settings = Settings(("EDGESTORE__INGEST__QUEUECAPACITY", "16"), ("EDGESTORE__INGEST__MAXBATCHROWS", "50"));

        var first = await StartAsync(settings);
        await using var publisher = await ConnectPublisherAsync();
        var publishing = PublishAsync(publisher, devices, perDevice);

        // Stop while the stream is still flowing: the drain commits and acknowledges what was taken, nothing more.
        await WaitUntilAsync(() => RowCount() >= 200);
        await first.StopAsync(CancellationToken.None);
        var firstStatus = first.Services.GetRequiredService<DaemonStatus>();
        first.Dispose();
        Assert.Equal(firstStatus.RowsStored, RowCount());
        // Everything stored is acknowledged except, at most, the newest QoS 1 message: its acknowledgement is held at a
        // stop and the broker redelivers it to the next start, which recognises it (docs/CONFIGURATION.md, "Redelivery").
        Assert.InRange(firstStatus.Acknowledged, firstStatus.RowsStored - 1, firstStatus.RowsStored);

        await publishing;
        using var second = await StartAsync(settings);
        await WaitUntilAsync(() => RowCount() >= devices * perDevice);
        await second.StopAsync(CancellationToken.None);

        using var connection = OpenDatabase();
        Assert.Equal(devices * perDevice, Scalar(connection, "SELECT count(*) FROM messages"));
        Assert.Equal(devices, Scalar(connection, "SELECT count(*) FROM series"));
        Assert.Equal(devices, Scalar(connection, $"SELECT count(*) FROM (SELECT series_id FROM messages GROUP BY series_id HAVING count(DISTINCT device_seq) = {perDevice} AND min(device_seq) = 1 AND max(device_seq) = {perDevice})"));
        Assert.Equal(0, Scalar(connection, "SELECT count(*) FROM messages WHERE device_ts_ms IS NULL"));
    }

    [Fact]
    public async Task Every_stored_payload_is_byte_for_byte_what_was_published_while_payload_arrays_are_pooled_and_reused()
    {
        // Payloads come from the shared array pool and go back after their batch commits. Had one gone back before its
        // bytes were bound, a later message would have written over it: every row is compared with what was sent.
        // Small batches and a small queue make arrays cycle through the pool many times during the run.
        var settings = Settings(("EDGESTORE__INGEST__MAXBATCHROWS", "7"), ("EDGESTORE__INGEST__QUEUECAPACITY", "32"));
        using var host = await StartAsync(settings);
        await using var publisher = await ConnectPublisherAsync();

        const int count = 3000;
        var sent = new Dictionary<string, byte[]>();
        var publishes = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            // Lengths that share the pool's size buckets (33..64, 65..128, ...) with distinct content in every byte.
            var payload = new byte[40 + (i * 37 % 200)];
            for (var b = 0; b < payload.Length; b++)
            {
                payload[b] = (byte)(i + (b * 31));
            }

            var topic = $"sensors/pool/{i % 10}/{i}";
            sent[topic] = payload;
            publishes.Add(publisher.PublishAsync(topic, payload, MqttQualityOfService.AtLeastOnce, false, CancellationToken.None));
            if (publishes.Count >= 200)
            {
                await Task.WhenAll(publishes);
                publishes.Clear();
            }
        }

        await Task.WhenAll(publishes);
        await WaitUntilAsync(() => RowCount() >= count);
        await host.StopAsync(CancellationToken.None);

        using var connection = OpenDatabase();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT s.topic, m.payload FROM messages m JOIN series s ON s.id = m.series_id";
        using var reader = command.ExecuteReader();
        var rows = 0;
        while (reader.Read())
        {
            rows++;
            var topic = reader.GetString(0);
            Assert.True(sent.TryGetValue(topic, out var expected), $"a row for {topic}, which was never published");
            Assert.Equal(expected, (byte[])reader.GetValue(1));
        }

        Assert.Equal(count, rows);
    }

    [Fact]
    public async Task A_byte_bound_far_below_the_stream_and_below_one_payload_only_slows_the_socket_down()
    {
        // 1 MiB of queue for 30 payloads of 256 KiB (7.5 MiB) and two of 1.5 MiB (each larger than the whole bound): the
        // queue takes a payload over the bound only when it holds nothing, so every message arrives, none is stuck.
        var settings = Settings(
            ("EDGESTORE__INGEST__QUEUECAPACITYMIB", "1"),
            ("EDGESTORE__INGEST__MAXBATCHROWS", "4"),
            ("EDGESTORE__MQTT__MAXIMUMPACKETSIZEBYTES", (4 << 20).ToString(CultureInfo.InvariantCulture)));
        using var host = await StartAsync(settings);
        await using var publisher = await ConnectPublisherAsync();

        var sizes = Enumerable.Range(1, 32).Select(i => i is 10 or 20 ? 3 << 19 : 256 << 10).ToArray();
        var publishes = new List<Task>();
        for (var i = 0; i < sizes.Length; i++)
        {
            var payload = new byte[sizes[i]];
            Array.Fill(payload, (byte)('a' + (i % 26)));
            publishes.Add(publisher.PublishAsync($"sensors/big/{i:D2}", payload, MqttQualityOfService.AtLeastOnce, false, CancellationToken.None));
        }

        await Task.WhenAll(publishes);
        await WaitUntilAsync(() => RowCount() >= sizes.Length);
        await host.StopAsync(CancellationToken.None);

        using var connection = OpenDatabase();
        Assert.Equal(sizes.Length, Scalar(connection, "SELECT count(*) FROM messages"));
        for (var i = 0; i < sizes.Length; i++)
        {
            var expected = (int)('a' + (i % 26));
            Assert.Equal(sizes[i], Scalar(connection, $"SELECT length(m.payload) FROM messages m JOIN series s ON s.id = m.series_id WHERE s.topic = 'sensors/big/{i:D2}'"));
            Assert.Equal(expected, Scalar(connection, $"SELECT unicode(substr(CAST(m.payload AS TEXT), {sizes[i]}, 1)) FROM messages m JOIN series s ON s.id = m.series_id WHERE s.topic = 'sensors/big/{i:D2}'"));
        }
    }

    [Fact]
    public async Task Malformed_json_goes_to_quarantine_and_the_stream_around_it_is_stored()
    {
        var settings = Settings(("EDGESTORE__DECODER__JSONTOPICS__0", "sensors/+/json"));
        using var host = await StartAsync(settings);
        await using var publisher = await ConnectPublisherAsync();

        await publisher.PublishAsync("sensors/a/json", Encoding.UTF8.GetBytes("""{"seq":1,"ts":1700000000}"""), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        await publisher.PublishAsync("sensors/a/json", Encoding.UTF8.GetBytes("""{"seq":2,"ts":"""), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        await publisher.PublishAsync("sensors/a/json", Encoding.UTF8.GetBytes("""{"seq":3,"ts":1700000002}"""), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        await publisher.PublishAsync("sensors/a/raw", Encoding.UTF8.GetBytes("""{"seq":4,"ts":"""), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        await WaitUntilAsync(() => host.Services.GetRequiredService<DaemonStatus>().Acknowledged >= 4);
        await host.StopAsync(CancellationToken.None);

        using var connection = OpenDatabase();
        Assert.Equal(3, Scalar(connection, "SELECT count(*) FROM messages"));
        Assert.Equal(1700000002000, Scalar(connection, "SELECT device_ts_ms FROM messages WHERE device_seq = 3"));
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT topic, CAST(payload AS TEXT), reason FROM quarantine";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal("sensors/a/json", reader.GetString(0));
        Assert.Equal("""{"seq":2,"ts":""", reader.GetString(1));
        Assert.StartsWith("invalid JSON at byte 15: ", reader.GetString(2), StringComparison.Ordinal);
        Assert.False(reader.Read());
    }

    [Fact]
    public async Task An_idle_daemon_keeps_both_beats_fresh_and_reports_its_status()
    {
        using var host = await StartAsync(Settings());
        var heartbeat = host.Services.GetRequiredService<IngestHeartbeat>();
        var status = host.Services.GetRequiredService<DaemonStatus>();

        // Idle for longer than the beat interval of either loop: the beats must keep coming without telemetry.
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.True(heartbeat.IsAlive(TimeSpan.FromSeconds(2)), $"ingest beat {heartbeat.SinceIngestBeat}, writer beat {heartbeat.SinceWriterBeat}");
        Assert.Equal("running", status.Phase);
        Assert.True(status.BrokerConnected);
        Assert.Equal(0, status.Backlog);
        Assert.Equal(256L * 1024 * 1024, status.MmapLimitBytes);
        await host.StopAsync(CancellationToken.None);
        Assert.Equal("stopped", status.Phase);
        Assert.False(status.BrokerConnected);
    }

    [Fact]
    public async Task Ingestion_writes_through_a_store_opened_before_it_and_opens_none_of_its_own()
    {
        var settings = Settings();
        await using var store = new TelemetryStore();
        var database = await store.OpenAsync(IngestOptions.ForStorage(settings.Storage, settings.Ingest), NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        var writer = store.CreateWriter();
        var status = new DaemonStatus();
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        await using var ingest = new IngestService(settings, status, new IngestHeartbeat(TimeProvider.System), NullLoggerFactory.Instance, TimeProvider.System, lifetime, store);

        await ingest.StartAsync(CancellationToken.None);
        await WaitUntilAsync(() => status.BrokerConnected);
        await using (var publisher = await ConnectPublisherAsync())
        {
            await publisher.PublishAsync("sensors/a/raw", Encoding.UTF8.GetBytes("21.5"), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
            await WaitUntilAsync(() => status.Acknowledged >= 1);
        }

        await ingest.StopAsync(CancellationToken.None);

        Assert.Same(database, store.Database);
        Assert.Same(writer, store.Writer);
        Assert.Equal(1, RowCount());
    }

    [Fact]
    public async Task Ingestion_does_not_start_on_a_store_nobody_opened()
    {
        await using var store = new TelemetryStore();
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        await using var ingest = new IngestService(Settings(), new DaemonStatus(), new IngestHeartbeat(TimeProvider.System), NullLoggerFactory.Instance, TimeProvider.System, lifetime, store);

        await Assert.ThrowsAsync<InvalidOperationException>(() => ingest.StartAsync(CancellationToken.None));

        Assert.Null(store.Database);
        Assert.False(File.Exists(DatabasePath));
    }

    private EdgeStoreSettings Settings(params (string Name, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["EDGESTORE__MQTT__PORT"] = _broker.Port.ToString(CultureInfo.InvariantCulture),
            ["EDGESTORE__MQTT__CLIENTID"] = "ingest-test",
            ["EDGESTORE__STORAGE__PATH"] = DatabasePath,
            ["EDGESTORE__LOGGING__LEVEL"] = "Warning",

            // These tests assert the configured mmap limit; the memory monitor would lower it whenever the (shared,
            // busy) test machine itself shows memory pressure. The governor and its cap stay in place.
            ["EDGESTORE__MEMORY__ENABLED"] = "false",
        };
        foreach (var (name, value) in extra)
        {
            environment[name] = value;
        }

        var result = new SettingsLoader(environment, new MachineFacts("test", 4L << 30), Path.Combine(_directory, "none.json")).Load(null);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        return result.Settings!;
    }

    private string DatabasePath => Path.Combine(_directory, "edgestore.db");

    private static async Task<IHost> StartAsync(EdgeStoreSettings settings)
    {
        var host = RunCommand.CreateHostBuilder(settings).Build();
        await host.StartAsync(CancellationToken.None);
        var status = host.Services.GetRequiredService<DaemonStatus>();
        await WaitUntilAsync(() => status.BrokerConnected);
        return host;
    }

    private async Task<MqttClient> ConnectPublisherAsync()
    {
        var client = new MqttClient(new MqttClientOptions { Port = _broker.Port, ClientId = "ingest-test-publisher", CleanStart = true, SessionExpiryInterval = TimeSpan.Zero });
        await client.StartAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(Patience);
        await client.WaitConnectedAsync(timeout.Token);
        return client;
    }

    private static async Task PublishAsync(MqttClient publisher, int devices, int perDevice)
    {
        var pending = new List<Task>();
        for (var seq = 1; seq <= perDevice; seq++)
        {
            for (var device = 1; device <= devices; device++)
            {
                var payload = Encoding.UTF8.GetBytes($$"""{"seq":{{seq}},"ts":{{1_700_000_000_000 + seq}},"v":1}""");
                pending.Add(publisher.PublishAsync($"sensors/dev-{device}/telemetry", payload, MqttQualityOfService.AtLeastOnce, false, CancellationToken.None));
            }

            if (pending.Count >= 200)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
    }

    private long RowCount()
    {
        if (!File.Exists(DatabasePath))
        {
            return 0;
        }

        using var connection = OpenDatabase();
        return Scalar(connection, "SELECT count(*) FROM messages");
    }

    private SqliteConnection OpenDatabase()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static Task WaitUntilAsync(Func<bool> condition, [CallerArgumentExpression(nameof(condition))] string what = "") =>
        Wait.UntilAsync(condition, Patience, what);
}
