using System.Diagnostics;
using System.Globalization;
using EdgeStore.Mqtt;
using EdgeStore.Testing;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;

namespace EdgeStore.Tests.RemoteTuning;

/// <summary>
/// The broker-side access control docs/SECURITY.md prescribes, run for real: mosquitto with the repository's
/// config/mosquitto/edgestore-acl.conf and one identity per gateway (username-based here; with TLS client certificates
/// and use_identity_as_username the identity is the certificate's CN and the same %u patterns apply). Another device
/// cannot change a gateway's settings nor read its replies; the operator identity can.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class RemoteTuningAclEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Only_the_operator_identity_can_change_a_gateways_settings()
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-acl-").FullName;
        var passwords = Path.Combine(directory, "passwords");
        foreach (var (user, password) in new[] { ("gw1", "gw1-secret"), ("gw2", "gw2-secret"), ("edgestore-operator", "op-secret"), ("edgestore-sensor", "sensor-secret") })
        {
            await RunAsync("mosquitto_passwd", ["-b", ..(File.Exists(passwords) ? Array.Empty<string>() : ["-c"]), passwords, user, password]);
        }

        var port = FreePort.Next();
        using var broker = MosquittoBroker.Start(
            extraConfig: string.Empty,
            listenerConfig: $"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwords}\nacl_file {AclFile()}",
            port: port);
        var databasePath = Path.Combine(directory, "data", "edgestore.db");
        await using var daemon = EdgeStoreProcess.Start(
            ["run"],
            new Dictionary<string, string?>
            {
                ["EDGESTORE__MQTT__PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["EDGESTORE__MQTT__USERNAME"] = "gw1",
                ["EDGESTORE__MQTT__PASSWORD"] = "gw1-secret",
                ["EDGESTORE__NODE__ID"] = "gw1",
                ["EDGESTORE__STORAGE__PATH"] = databasePath,
            },
            directory,
            output);
        await daemon.WaitForOutputAsync(DaemonScenario.SubscribedLine, DaemonScenario.StartTimeout);
        await daemon.WaitForOutputAsync("gw1-control'", Timeout);

        await using var operatorClient = await ControlTopicClient.ConnectAsync(port, "operator", "edgestore-operator", "op-secret");
        await operatorClient.WaitForReportAsync("gw1", 0, "applied", Timeout);

        // Another gateway tries to tune gw1, and to read gw1's replies.
        await using var intruder = await ControlTopicClient.ConnectAsync(port, "gw2-client", "gw2", "gw2-secret", filter: "edgestore/gw1/#");
        var refused = await Assert.ThrowsAsync<MqttException>(() =>
            intruder.PublishAsync("edgestore/gw1/config/desired", """{"version": 50, "config": {"ingest": {"maxBatchRows": 1}}}""", retain: true));
        Assert.Contains("0x87", refused.Message, StringComparison.Ordinal); // MQTT 5 "not authorized"

        // Then the operator tunes gw1: once that report arrives, the intruder's earlier document would have been seen.
        await operatorClient.PublishAsync("edgestore/gw1/config/desired", """{"version": 10, "config": {"ingest": {"maxBatchRows": 42}}}""");
        var applied = await operatorClient.WaitForReportAsync("gw1", 10, "applied", Timeout);
        Assert.Equal(42, (int)applied["effective"]!["ingest"]!["maxBatchRows"]!);
        Assert.DoesNotContain(operatorClient.Received, m => m.Text.Contains("\"version\":50", StringComparison.Ordinal));
        Assert.False(daemon.HasOutput("version 50"), daemon.Dump());
        Assert.Empty(intruder.Received);

        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(Timeout));
        daemon.WriteOutputOnDispose = false;
    }

    private static string AclFile()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "config", "mosquitto", "edgestore-acl.conf");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("config/mosquitto/edgestore-acl.conf not found above " + AppContext.BaseDirectory);
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {error}");
    }
}
