using EdgeStore.Testing;
using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// Every reading stored exactly once, against a real mosquitto and the built daemon: look-alike readings are all
/// readings, a stock broker's defaults do not drop a burst, an oversized message cannot block what follows it under
/// MQTT 3.1.1, and one database has one daemon.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ExactlyOnceEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Forty_eight_look_alike_readings_are_forty_eight_rows()
    {
        await using var scenario = new DaemonScenario(output, "e2e-lookalike");
        var daemon = await scenario.StartSubscribedDaemonAsync();

        // A 10 Hz sensor holding steady (40 identical payloads within a second), a plain counter sending "pulse" three
        // times, and a device that restarted its counter (five readings with "seq":7). Real data, every one.
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/steady/telemetry", Enumerable.Repeat("{\"temp\":21.5}", 40));
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/pulse", Enumerable.Repeat("pulse", 3));
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/restarted/telemetry", Enumerable.Range(0, 5).Select(i => $"{{\"seq\":7,\"temp\":{20 + i}.5}}"));

        await scenario.Store.WaitForMessagesAsync(48, DaemonScenario.StartTimeout);
        var stored = await scenario.Store.WaitForQuietAsync(Quiet, DaemonScenario.StartTimeout);

        Assert.Equal(48, stored);
        Assert.Equal(40, scenario.Store.Payloads("sensors/steady/telemetry").Count);
        Assert.Equal(3, scenario.Store.Payloads("sensors/pulse").Count);
        Assert.Equal(5, scenario.Store.Payloads("sensors/restarted/telemetry").Select(p => System.Text.Encoding.UTF8.GetString(p)).Distinct().Count());
        await DaemonScenario.StopCleanlyAsync(daemon);
        Assert.Contains("0 redeliveries acknowledged without storing", daemon.Output, StringComparison.Ordinal);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task A_stock_broker_with_no_configuration_delivers_a_20000_message_burst_completely()
    {
        // mosquitto -p PORT: max_inflight_messages 20 and max_queued_messages 1000 unless the client announces its
        // receive maximum; EdgeStore does, so the broker neither throttles nor drops.
        await using var scenario = new DaemonScenario(output, "e2e-stock", MosquittoBroker.StartStock());
        var daemon = await scenario.StartSubscribedDaemonAsync();

        await using var sensors = scenario.StartSensors(devices: 10, count: 20_000, ratePerSecond: 0);
        var published = await sensors.WaitPublishedAsync(DaemonScenario.DrainTimeout);
        Assert.Equal(20_000, published);
        var stored = await scenario.Store.WaitForMessagesAsync(published, DaemonScenario.DrainTimeout);

        Assert.True(stored == published, $"stored {stored} of {published}; broker log:\n{scenario.Broker.ReadLog()}");
        Assert.DoesNotContain("are being dropped", scenario.Broker.ReadLog(), StringComparison.Ordinal);
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.AssertEveryMessageOnce(published, 10);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task Under_MQTT_3_1_1_an_oversized_message_is_quarantined_and_the_ten_after_it_are_stored()
    {
        await using var scenario = new DaemonScenario(output, "e2e-oversize");
        scenario.Environment["EDGESTORE__MQTT__PROTOCOLVERSION"] = "4";
        var daemon = await scenario.StartSubscribedDaemonAsync();
        var big = new byte[1_500_000];
        new Random(10).NextBytes(big);
        var path = Path.Combine(scenario.Directory, "big.bin");
        await File.WriteAllBytesAsync(path, big);

        await MosquittoPublish.FileAsync(scenario.Broker.Port, "sensors/camera/frame", path, "mqttv311");
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/after/telemetry", Enumerable.Range(1, 10).Select(i => $"{{\"seq\":{i}}}"));

        await scenario.Store.WaitForMessagesAsync(10, DaemonScenario.StartTimeout);
        var quarantined = Assert.Single(scenario.Store.Quarantined());
        Assert.Equal("sensors/camera/frame", quarantined.Topic);
        Assert.Contains("oversize: 1500000 bytes", quarantined.Reason, StringComparison.Ordinal);
        Assert.Equal(big[..quarantined.Payload.Length], quarantined.Payload);
        Assert.InRange(quarantined.Payload.Length, 1, 64 * 1024);

        // Acknowledged: a restart gets nothing back from the broker, and the session carries on. MQTT 3.1.1 cannot
        // announce EdgeStore's limits, which the daemon said once and counted.
        await DaemonScenario.StopCleanlyAsync(daemon);
        Assert.Contains("which cannot announce EdgeStore's receive maximum", daemon.Output, StringComparison.Ordinal);
        Assert.Contains("1 broker loss warnings", daemon.Output, StringComparison.Ordinal);
        daemon = await scenario.StartSubscribedDaemonAsync();
        await MosquittoPublish.MessageAsync(scenario.Broker.Port, "sensors/after/telemetry", "{\"seq\":11}");
        await scenario.Store.WaitForMessagesAsync(11, DaemonScenario.StartTimeout);
        await scenario.Store.WaitForQuietAsync(Quiet, DaemonScenario.StartTimeout);
        Assert.Equal(1, scenario.Store.QuarantineCount());
        Assert.Equal(11, scenario.Store.MessageCount());
        await DaemonScenario.StopCleanlyAsync(daemon);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_database_is_refused_and_the_first_keeps_storing()
    {
        await using var scenario = new DaemonScenario(output, "e2e-single");
        var first = await scenario.StartSubscribedDaemonAsync();

        var second = scenario.StartDaemon();
        var exitCode = await second.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(4, exitCode);
        Assert.Contains($"in use by another EdgeStore (PID {first.ProcessId})", second.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("Subscribed to", second.Output, StringComparison.Ordinal);
        Assert.False(first.HasExited);

        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/a/telemetry", Enumerable.Range(1, 20).Select(i => $"{{\"seq\":{i}}}"));
        Assert.Equal(20, await scenario.Store.WaitForMessagesAsync(20, DaemonScenario.StartTimeout));
        Assert.DoesNotContain("Disconnected from the broker", first.Output, StringComparison.Ordinal);
        await DaemonScenario.StopCleanlyAsync(first);

        // The refused instance never wrote the run marker: the next start is not an unclean one.
        var again = await scenario.StartSubscribedDaemonAsync();
        Assert.DoesNotContain("unclean", again.Output, StringComparison.OrdinalIgnoreCase);
        await DaemonScenario.StopCleanlyAsync(again);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task A_refused_subscription_is_retried_and_ingestion_starts_without_a_restart_once_the_broker_grants_it()
    {
        // mosquitto's dynamic-security plugin refuses subscriptions by default here (EdgeStore's own control topics
        // excepted) until an operator changes the default at run time, as mosquitto_ctrl would.
        var directory = Directory.CreateTempSubdirectory("edgestore-dynsec-").FullName;
        var configPath = Path.Combine(directory, "dynamic-security.json");
        await File.WriteAllTextAsync(configPath, """
            {
              "defaultACLAccess": { "publishClientSend": true, "publishClientReceive": true, "subscribe": false, "unsubscribe": true },
              "clients": [],
              "groups": [ { "groupname": "anonymous", "roles": [ { "rolename": "control" }, { "rolename": "admin" } ] } ],
              "roles": [
                { "rolename": "control", "acls": [ { "acltype": "subscribePattern", "topic": "edgestore/#", "priority": 0, "allow": true } ] },
                { "rolename": "admin", "acls": [
                  { "acltype": "publishClientSend", "topic": "$CONTROL/dynamic-security/#", "priority": 0, "allow": true } ] }
              ],
              "anonymousGroup": "anonymous"
            }
            """);
        await using var scenario = new DaemonScenario(output, "e2e-refused",
            MosquittoBroker.Start($"plugin {MosquittoBroker.FindDynamicSecurityPlugin()}\nplugin_opt_config_file {configPath}"));
        scenario.Environment["EDGESTORE__MQTT__RECONNECTMAXDELAYMS"] = "2000";
        var daemon = scenario.StartDaemon();

        var refusal = await daemon.WaitForOutputAsync("refused subscription", DaemonScenario.StartTimeout);
        Assert.Contains("sensors/#", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain(DaemonScenario.SubscribedLine, daemon.Output, StringComparison.Ordinal);

        await MosquittoPublish.MessageAsync(scenario.Broker.Port, "$CONTROL/dynamic-security/v1",
            """{"commands":[{"command":"setDefaultACLAccess","acls":[{"acltype":"subscribe","allow":true}]}]}""");
        await daemon.WaitForOutputAsync(DaemonScenario.SubscribedLine, DaemonScenario.StartTimeout);

        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/a/telemetry", Enumerable.Range(1, 5).Select(i => $"{{\"seq\":{i}}}"));
        Assert.Equal(5, await scenario.Store.WaitForMessagesAsync(5, DaemonScenario.StartTimeout));
        Assert.False(daemon.HasExited);
        Assert.DoesNotContain("Disconnected from the broker", daemon.Output, StringComparison.Ordinal);
        await DaemonScenario.StopCleanlyAsync(daemon);
        Assert.Matches("[1-9][0-9]* subscriptions refused", daemon.Output);
        Directory.Delete(directory, recursive: true);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task A_broker_that_lost_the_session_is_reported_and_ingestion_goes_on()
    {
        // A stock broker keeps sessions in memory only: restarting it loses what it queued for EdgeStore.
        await using var scenario = new DaemonScenario(output, "e2e-lost-session", MosquittoBroker.StartStock());
        var daemon = await scenario.StartSubscribedDaemonAsync();
        var mark = daemon.LineCount;

        scenario.Broker.Restart();

        var warning = await daemon.WaitForOutputAsync("has no session for client id e2e-lost-session", DaemonScenario.StartTimeout, mark);
        Assert.Contains("docs/MOSQUITTO.md", warning, StringComparison.Ordinal);
        await daemon.WaitForOutputAsync(DaemonScenario.SubscribedLine, DaemonScenario.StartTimeout, mark);
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/a/telemetry", Enumerable.Range(1, 5).Select(i => $"{{\"seq\":{i}}}"));
        Assert.Equal(5, await scenario.Store.WaitForMessagesAsync(5, DaemonScenario.StartTimeout));
        await DaemonScenario.StopCleanlyAsync(daemon);
        Assert.Contains("1 broker loss warnings", daemon.Output, StringComparison.Ordinal);
        scenario.MarkPassed();
    }
}
