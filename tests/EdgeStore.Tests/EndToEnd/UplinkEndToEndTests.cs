using System.Globalization;
using System.Text.Json.Nodes;
using EdgeStore.Testing;
using EdgeStore.Tests.RemoteTuning;
using EdgeStore.Tests.Uplink;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// Store-and-forward with real brokers: the gateway's mosquitto (sensors publish there, the daemon stores) and an
/// upstream mosquitto (the daemon forwards there with MQTTnet, the fleet's consumer reads there). Every check is made
/// against the rows in the database: what reaches the consumer must be every stored row, by id, with its payload.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class UplinkEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Rows_stored_while_the_upstream_is_down_all_arrive_when_it_comes_up()
    {
        const int messages = 20_000;
        using var upstream = MosquittoBroker.Start();
        await using var scenario = new DaemonScenario(output, "e2e-uplink-outage");
        EnableUplink(scenario, upstream.Port);

        // The consumer's subscription is a persistent session, so the upstream broker queues for it across its restart.
        await using var consumer = await UpstreamConsumer.ConnectAsync(upstream.Port, "fleet-consumer-outage", persistentSession: true);
        await consumer.DisconnectAsync();
        upstream.Stop();

        var daemon = await scenario.StartSubscribedDaemonAsync();
        await using (var sensors = scenario.StartSensors(devices: 100, count: messages, ratePerSecond: 10_000, qos: 1))
        {
            Assert.Equal(messages, await sensors.WaitPublishedAsync(Patience));
        }

        Assert.Equal(messages, await scenario.Store.WaitForMessagesAsync(messages, Patience));
        var down = await WaitForUplinkAsync(scenario, u => (long?)u["backlogRows"] == messages && (bool?)u["connected"] == false, "the whole backlog waiting, upstream unreachable");
        Assert.Contains("refused", (string?)down["lastError"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, ForwardedThrough(scenario));

        upstream.StartAgain();
        await consumer.ReconnectAsync(upstream.Port, "fleet-consumer-outage");
        var ids = RowIds(scenario);
        await consumer.WaitForIdsAsync(ids, Patience);
        AssertEveryRowForwardedAsStored(scenario, consumer.Received);
        await WaitForUplinkAsync(scenario, u => (long?)u["backlogRows"] == 0 && (long?)u["cursor"] == ids.Max(), "the cursor at the last row");

        await DaemonScenario.StopCleanlyAsync(daemon);
        Assert.Equal(ids.Max(), ForwardedThrough(scenario));
        scenario.MarkPassed();
    }

    [Fact]
    public async Task Kill_9_while_forwarding_then_restart_forwards_every_row_at_least_once_under_the_same_id()
    {
        const int messages = 20_000;
        using var upstream = MosquittoBroker.Start();
        await using var consumer = await UpstreamConsumer.ConnectAsync(upstream.Port, "fleet-consumer-kill");
        await using var scenario = new DaemonScenario(output, "e2e-uplink-kill");
        EnableUplink(scenario, upstream.Port);

        // Forwarding slower than ingest, so the kill lands while rows are on their way upstream.
        scenario.Environment["EDGESTORE__UPLINK__MAXMESSAGESPERSECOND"] = "3000";
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await using (var sensors = scenario.StartSensors(devices: 100, count: messages, ratePerSecond: 10_000, qos: 1))
        {
            await Wait.UntilAsync(() => consumer.Count >= 5_000, Patience, "5,000 rows forwarded");
            daemon.Kill();
            Assert.NotEqual(0, await daemon.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            var atKill = consumer.Count;
            var cursorAtKill = ForwardedThrough(scenario);
            output.WriteLine($"at kill -9: {atKill} messages at the consumer, cursor {cursorAtKill}");
            Assert.True(cursorAtKill < messages, $"the kill should land mid-forwarding (cursor {cursorAtKill})");

            daemon = await scenario.StartSubscribedDaemonAsync();
            Assert.Equal(messages, await sensors.WaitPublishedAsync(Patience));
        }

        Assert.Equal(messages, await scenario.Store.WaitForMessagesAsync(messages, Patience));
        var ids = RowIds(scenario);
        await consumer.WaitForIdsAsync(ids, Patience);
        var received = consumer.Received;
        output.WriteLine($"{received.Count} messages for {ids.Count} rows: {received.Count - ids.Count} redelivered after the kill");
        AssertEveryRowForwardedAsStored(scenario, received);
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task Forwards_over_tls_with_a_client_certificate()
    {
        var pki = Directory.CreateTempSubdirectory("edgestore-uplink-pki-").FullName;
        var certificates = TestCertificates.Create(pki);
        var tlsPort = FreePort.Next();
        using var upstream = MosquittoBroker.Start($"""
            listener {tlsPort} 127.0.0.1
            cafile {certificates.CaCertificateFile}
            certfile {certificates.ServerCertificateFile}
            keyfile {certificates.ServerKeyFile}
            require_certificate true
            """);
        await using var consumer = await UpstreamConsumer.ConnectAsync(upstream.Port, "fleet-consumer-tls");
        await using var scenario = new DaemonScenario(output, "e2e-uplink-tls");
        EnableUplink(scenario, tlsPort);
        scenario.Environment["EDGESTORE__UPLINK__TLS__ENABLED"] = "true";
        scenario.Environment["EDGESTORE__UPLINK__TLS__CAFILE"] = certificates.CaCertificateFile;
        scenario.Environment["EDGESTORE__UPLINK__TLS__CLIENTCERTIFICATEFILE"] = certificates.ClientCertificateFile;
        scenario.Environment["EDGESTORE__UPLINK__TLS__CLIENTKEYFILE"] = certificates.ClientKeyFile;

        await ForwardSomeAsync(scenario, consumer, $"mqtts://127.0.0.1:{tlsPort}");
        Directory.Delete(pki, recursive: true);
    }

    [Fact]
    public async Task Forwards_over_websockets()
    {
        // mosquitto 2.0.11 binds a websockets listener to an interface name, not an address: `lo` keeps it on loopback.
        var wsPort = FreePort.Next();
        using var upstream = MosquittoBroker.Start($"""
            listener {wsPort} lo
            protocol websockets
            """);
        await using var consumer = await UpstreamConsumer.ConnectAsync(upstream.Port, "fleet-consumer-ws");
        await using var scenario = new DaemonScenario(output, "e2e-uplink-ws");
        EnableUplink(scenario, wsPort);
        scenario.Environment["EDGESTORE__UPLINK__TRANSPORT"] = "WebSockets";

        await ForwardSomeAsync(scenario, consumer, $"ws://127.0.0.1:{wsPort}/mqtt");
    }

    [Fact]
    public async Task Mqtt_311_carries_the_row_id_in_the_topic()
    {
        using var upstream = MosquittoBroker.Start();
        await using var consumer = await UpstreamConsumer.ConnectAsync(upstream.Port, "fleet-consumer-311");
        await using var scenario = new DaemonScenario(output, "e2e-uplink-311");
        EnableUplink(scenario, upstream.Port);
        scenario.Environment["EDGESTORE__UPLINK__PROTOCOLVERSION"] = "4";
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-1/telemetry", Enumerable.Range(1, 50).Select(i => $"{{\"seq\":{i}}}"));
        Assert.Equal(50, await scenario.Store.WaitForMessagesAsync(50, Patience));

        await Wait.UntilAsync(() => consumer.Count >= 50, Patience, "50 rows forwarded");
        var byId = StoredRows(scenario);
        foreach (var message in consumer.Received)
        {
            // gateways/<node>/<row id>/<original topic>; MQTT 3.1.1 has no user properties.
            var levels = message.Topic.Split('/', 4);
            Assert.Equal(["gateways", scenario.ClientId], levels[..2]);
            var id = long.Parse(levels[2], CultureInfo.InvariantCulture);
            Assert.Equal(byId[id].Topic, levels[3]);
            Assert.Equal(byId[id].Payload, message.Payload);
            Assert.Null(message.Id);
        }

        Assert.Equal(50, consumer.Received.Select(m => m.Topic).Distinct().Count());
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Quarantined_payloads_go_up_only_when_the_setting_says_so(bool forwardQuarantine)
    {
        using var upstream = MosquittoBroker.Start();
        await using var consumer = await UpstreamConsumer.ConnectAsync(upstream.Port, $"fleet-consumer-quarantine-{forwardQuarantine}");
        await using var scenario = new DaemonScenario(output, $"e2e-uplink-quarantine-{forwardQuarantine}".ToLowerInvariant());
        EnableUplink(scenario, upstream.Port);
        scenario.Environment["EDGESTORE__DECODER__JSONTOPICS__0"] = "sensors/+/json";
        scenario.Environment["EDGESTORE__UPLINK__FORWARDQUARANTINE"] = forwardQuarantine ? "true" : "false";
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await MosquittoPublish.MessageAsync(scenario.Broker.Port, "sensors/dev-1/json", "{\"seq\":1,\"t\":");
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-1/json", Enumerable.Range(2, 20).Select(i => $"{{\"seq\":{i}}}"));
        Assert.Equal(20, await scenario.Store.WaitForMessagesAsync(20, Patience));
        Assert.Equal(1, scenario.Store.QuarantineCount());

        await consumer.WaitForIdsAsync(RowIds(scenario), Patience);
        if (forwardQuarantine)
        {
            await Wait.UntilAsync(() => consumer.Received.Any(m => m.Topic.Contains("/quarantine/", StringComparison.Ordinal)), Patience, "the quarantined payload upstream");
            var quarantined = Assert.Single(consumer.Received, m => m.Topic.Contains("/quarantine/", StringComparison.Ordinal));
            Assert.Equal($"gateways/{scenario.ClientId}/quarantine/sensors/dev-1/json", quarantined.Topic);
            Assert.Equal("{\"seq\":1,\"t\":", UpstreamConsumer.Text(quarantined));
            Assert.Null(quarantined.Id);
        }
        else
        {
            // The last row is up, and the quarantined payload, stored before it, never went.
            await WaitForUplinkAsync(scenario, u => (long?)u["backlogRows"] == 0 && (long?)u["forwarded"] == 20, "every row forwarded");
            Assert.DoesNotContain(consumer.Received, m => m.Topic.Contains("/quarantine/", StringComparison.Ordinal));
        }

        Assert.Equal(20, consumer.Received.Count(m => !m.Topic.Contains("/quarantine/", StringComparison.Ordinal)));
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task The_rate_limit_holds_and_remote_tuning_re_rates_and_disables_the_uplink()
    {
        const int rate = 100;
        using var upstream = MosquittoBroker.Start();
        await using var consumer = await UpstreamConsumer.ConnectAsync(upstream.Port, "fleet-consumer-rate");
        await using var scenario = new DaemonScenario(output, "e2e-uplink-rate");
        EnableUplink(scenario, upstream.Port);
        scenario.Environment["EDGESTORE__UPLINK__MAXMESSAGESPERSECOND"] = rate.ToString(CultureInfo.InvariantCulture);
        scenario.Environment["EDGESTORE__METRICS__INTERVALSECONDS"] = "5";
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await using var operatorClient = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-uplink");
        var node = scenario.ClientId;

        // 600 rows at 100/s: from the first to the last, the consumer sees them over at least (600 - 1 - burst of 10) / 100
        // = 5.9 s, measured on its own arrival times. A lower bound, which a slow machine can only lengthen.
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-1/telemetry", Enumerable.Range(1, 600).Select(i => $"{{\"seq\":{i}}}"));
        await Wait.UntilAsync(() => consumer.Count >= 600, Patience, "600 rows forwarded at the limited rate");
        var arrivals = consumer.Received.Select(m => m.ArrivedAt).Order().ToList();
        var seconds = (arrivals[^1] - arrivals[0]).TotalSeconds;
        output.WriteLine($"600 rows at {rate}/s arrived over {seconds:F1} s");
        Assert.True(seconds >= 5.5, $"600 rows went up in {seconds:F1} s at Uplink:MaxMessagesPerSecond {rate}");

        // Remote tuning: no limit, then off. While off, rows are stored and kept for later.
        await operatorClient.PublishAsync($"edgestore/{node}/config/desired", """{"version": 1, "config": {"uplink": {"maxMessagesPerSecond": 0}}}""", retain: true);
        await operatorClient.WaitForReportAsync(node, 1, "applied", Patience);
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-2/telemetry", Enumerable.Range(1, 2000).Select(i => $"{{\"seq\":{i}}}"));
        await Wait.UntilAsync(() => consumer.Count >= 2600, Patience, "2,000 more rows forwarded without a limit");

        await operatorClient.PublishAsync($"edgestore/{node}/config/desired", """{"version": 2, "config": {"uplink": {"enabled": false}}}""", retain: true);
        await operatorClient.WaitForReportAsync(node, 2, "applied", Patience);
        await WaitForUplinkAsync(scenario, u => (bool?)u["enabled"] == false && (string?)u["phase"] == "disabled", "the uplink disabled");
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-3/telemetry", Enumerable.Range(1, 100).Select(i => $"{{\"seq\":{i}}}"));
        Assert.Equal(2700, await scenario.Store.WaitForMessagesAsync(2700, Patience));
        await operatorClient.WaitForJsonAsync($"edgestore/{node}/metrics", m => m["uplink"] is JsonObject u && (bool?)u["enabled"] == false, Patience);
        Assert.Equal(2600, consumer.DistinctIds());

        await operatorClient.PublishAsync($"edgestore/{node}/config/desired", """{"version": 3, "config": {"uplink": {"enabled": true}}}""", retain: true);
        await operatorClient.WaitForReportAsync(node, 3, "applied", Patience);
        await consumer.WaitForIdsAsync(RowIds(scenario), Patience);
        AssertEveryRowForwardedAsStored(scenario, consumer.Received);
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task Retention_keeps_unforwarded_rows_and_a_window_runs_at_mmap_0_while_the_uplink_reads()
    {
        using var upstream = MosquittoBroker.Start();
        await using var scenario = new DaemonScenario(output, "e2e-uplink-retention");
        scenario.Environment["EDGESTORE__RETENTION__MESSAGESDAYS"] = "30";
        scenario.Environment["EDGESTORE__STORAGE__MMAPSIZEMIB"] = "64";

        // 2,000 rows stored with the uplink off, then made 100 days old.
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-1/telemetry", Enumerable.Range(1, 2000).Select(i => $"{{\"seq\":{i}}}"));
        Assert.Equal(2000, await scenario.Store.WaitForMessagesAsync(2000, Patience));
        await DaemonScenario.StopCleanlyAsync(daemon);
        Execute(scenario, $"UPDATE messages SET received_at_ms = {DateTimeOffset.UtcNow.AddDays(-100).ToUnixTimeMilliseconds()}");

        // The uplink on, its upstream down: a window deletes nothing, because nothing was forwarded.
        EnableUplink(scenario, upstream.Port);
        scenario.Environment["EDGESTORE__UPLINK__MAXMESSAGESPERSECOND"] = "100";
        upstream.Stop();
        daemon = await scenario.StartSubscribedDaemonAsync();
        await using var operatorClient = await ControlTopicClient.ConnectAsync(scenario.Broker.Port, "operator-retention");
        var first = await MaintenanceAsync(operatorClient, scenario.ClientId, "kept");
        Assert.Equal(0, (long)first["messagesDeleted"]!);
        Assert.Equal(2000, scenario.Store.MessageCount());

        // Upstream back, forwarding at 100 rows/s (20 s for all): a window in the middle of it deletes only what was forwarded, and
        // runs with every connection, the uplink's reader among them, at mmap 0.
        upstream.StartAgain();
        await using var consumer = await UpstreamConsumer.ConnectAsync(upstream.Port, "fleet-consumer-retention");
        await Wait.UntilAsync(() => ForwardedThrough(scenario) >= 300, Patience, "300 rows forwarded and the cursor committed");
        var during = await MaintenanceAsync(operatorClient, scenario.ClientId, "during");
        var cursorAfter = ForwardedThrough(scenario);
        output.WriteLine($"window during forwarding: {during.ToJsonString()}; cursor after it {cursorAfter}");
        Assert.True((bool?)during["mmapZeroVerified"] == true, during.ToJsonString());
        Assert.InRange((long)during["messagesDeleted"]!, 300, cursorAfter);
        Assert.True(consumer.Count < 2000, "the window should run while rows are still being forwarded");

        // Everything forwarded: the next window deletes every old row but the newest, whose id must never be reused.
        await consumer.WaitForIdsAsync([.. Enumerable.Range(1, 2000).Select(i => (long)i)], Patience);
        await Wait.UntilAsync(() => ForwardedThrough(scenario) == 2000, Patience, "the cursor at the last row");
        var last = await MaintenanceAsync(operatorClient, scenario.ClientId, "after");
        Assert.Equal(1, scenario.Store.MessageCount());
        Assert.Equal(1999, (long)during["messagesDeleted"]! + (long)last["messagesDeleted"]!);
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    private static void EnableUplink(DaemonScenario scenario, int port)
    {
        scenario.Environment["EDGESTORE__UPLINK__ENABLED"] = "true";
        scenario.Environment["EDGESTORE__UPLINK__HOST"] = "127.0.0.1";
        scenario.Environment["EDGESTORE__UPLINK__PORT"] = port.ToString(CultureInfo.InvariantCulture);
        scenario.Environment["EDGESTORE__UPLINK__RECONNECTMINDELAYMS"] = "200";
        scenario.Environment["EDGESTORE__UPLINK__RECONNECTMAXDELAYMS"] = "1000";
        scenario.Environment["EDGESTORE__UPLINK__CURSORCOMMITINTERVALMS"] = "200";
    }

    /// <summary>200 readings published at the gateway reach the consumer through <paramref name="endpoint"/>.</summary>
    private async Task ForwardSomeAsync(DaemonScenario scenario, UpstreamConsumer consumer, string endpoint)
    {
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await daemon.WaitForOutputAsync($"Uplink connected to {endpoint}", Patience);
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-1/telemetry", Enumerable.Range(1, 200).Select(i => $"{{\"seq\":{i},\"t\":21.5}}"));
        Assert.Equal(200, await scenario.Store.WaitForMessagesAsync(200, Patience));
        await consumer.WaitForIdsAsync(RowIds(scenario), Patience);
        AssertEveryRowForwardedAsStored(scenario, consumer.Received);
        var uplink = await WaitForUplinkAsync(scenario, u => (long?)u["forwarded"] == 200, "200 forwarded in status");
        Assert.Equal(endpoint, (string?)uplink["endpoint"]);
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    /// <summary>Every stored row arrived at least once; every copy carries its row's id, node, topic and payload unchanged.</summary>
    private static void AssertEveryRowForwardedAsStored(DaemonScenario scenario, IReadOnlyCollection<ForwardedMessage> received)
    {
        var rows = StoredRows(scenario);
        Assert.Equal(rows.Keys.Order(), received.Select(m => m.Id!.Value).Distinct().Order());
        foreach (var message in received)
        {
            var row = rows[message.Id!.Value];
            Assert.Equal($"gateways/{scenario.ClientId}/{row.Topic}", message.Topic);
            Assert.Equal(scenario.ClientId, message.Node);
            Assert.Equal(row.ReceivedAtMs, message.ReceivedAtMs);
            Assert.True(row.Payload.AsSpan().SequenceEqual(message.Payload), $"row {message.Id}: payload changed on the way up");
        }
    }

    private static Dictionary<long, (string Topic, byte[] Payload, long ReceivedAtMs)> StoredRows(DaemonScenario scenario)
    {
        using var connection = EdgeStore.Storage.SqliteConnectionFactory.OpenReadOnly(scenario.DatabasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT m.id, s.topic, m.payload, m.received_at_ms FROM messages m JOIN series s ON s.id = m.series_id";
        using var reader = command.ExecuteReader();
        var rows = new Dictionary<long, (string, byte[], long)>();
        while (reader.Read())
        {
            rows[reader.GetInt64(0)] = (reader.GetString(1), (byte[])reader.GetValue(2), reader.GetInt64(3));
        }

        return rows;
    }

    private static List<long> RowIds(DaemonScenario scenario) => [.. StoredRows(scenario).Keys.Order()];

    private static long ForwardedThrough(DaemonScenario scenario)
    {
        using var connection = EdgeStore.Storage.SqliteConnectionFactory.OpenReadOnly(scenario.DatabasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce((SELECT forwarded_through FROM uplink_cursor WHERE stream = 'messages'), 0)";
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(DaemonScenario scenario, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={scenario.DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>The `uplink` object of status.json once it satisfies <paramref name="done"/> (status is written every few seconds).</summary>
    private static Task<JsonObject> WaitForUplinkAsync(DaemonScenario scenario, Func<JsonObject, bool> done, string what) =>
        Wait.ForAsync(
            () =>
            {
                try
                {
                    return JsonNode.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(scenario.DatabasePath)!, "status.json")))?["uplink"] as JsonObject ?? [];
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException)
                {
                    return [];
                }
            },
            done,
            Patience,
            what);

    /// <summary>Runs an on-demand maintenance pass through `cmd/maintenance` and returns its result.</summary>
    private static async Task<JsonObject> MaintenanceAsync(ControlTopicClient operatorClient, string node, string id)
    {
        await operatorClient.PublishAsync($"edgestore/{node}/cmd/maintenance", $$"""{"id": "{{id}}"}""");
        var answer = await operatorClient.WaitForJsonAsync($"edgestore/{node}/cmd/maintenance/result", r => (string?)r["id"] == id, Patience);
        Assert.True((string?)answer["status"] == "completed", answer.ToJsonString());
        return answer["result"]!.AsObject();
    }
}
