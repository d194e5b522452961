using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

public sealed class TlsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static MosquittoBroker StartTlsBroker(TestCertificates certificates, bool requireClientCertificate)
    {
        var port = FreePort.Next();
        var listener = $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            cafile {certificates.CaCertificateFile}
            certfile {certificates.ServerCertificateFile}
            keyfile {certificates.ServerKeyFile}
            require_certificate {(requireClientCertificate ? "true" : "false")}
            """;
        return MosquittoBroker.Start(listenerConfig: listener, port: port);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("localhost")]
    public async Task Connects_over_tls_trusting_only_the_ca_file_and_receives(string? serverName)
    {
        var certificates = TestCertificates.Create(Path.Combine(_directory, "pki"));
        using var broker = StartTlsBroker(certificates, requireClientCertificate: false);
        var inbox = new Inbox();
        var options = TestClients.Options(broker, "tls-subscriber");
        options.Tls = new MqttTlsOptions { CaFile = certificates.CaCertificateFile, ServerName = serverName };
        options.Subscriptions = [new MqttSubscription("secure/#", MqttQualityOfService.AtLeastOnce)];
        await using var client = await TestClients.StartAsync(options, inbox);

        await client.PublishAsync("secure/a", "over tls"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        var message = await inbox.NextAsync();

        Assert.Equal("over tls", Encoding.UTF8.GetString(message.Payload.Span));
    }

    [Fact]
    public async Task Client_certificate_is_presented_when_the_broker_requires_one()
    {
        var certificates = TestCertificates.Create(Path.Combine(_directory, "pki"));
        using var broker = StartTlsBroker(certificates, requireClientCertificate: true);
        var options = TestClients.Options(broker, "tls-client-cert");
        options.Tls = new MqttTlsOptions
        {
            CaFile = certificates.CaCertificateFile,
            ClientCertificateFile = certificates.ClientCertificateFile,
            ClientKeyFile = certificates.ClientKeyFile,
        };
        await using var client = await TestClients.StartAsync(options);
        Assert.True(client.IsConnected);

        var withoutCertificate = TestClients.Options(broker, "tls-no-cert");
        withoutCertificate.Tls = new MqttTlsOptions { CaFile = certificates.CaCertificateFile };
        var refused = new MqttClient(withoutCertificate);
        await using (refused)
        {
            await refused.StartAsync(CancellationToken.None);
            await Wait.UntilAsync(() => refused.Counters.ConnectFailures >= 1, Inbox.Patience, "connection without client certificate refused");
            Assert.False(refused.IsConnected);
        }
    }

    [Fact]
    public async Task A_certificate_from_another_ca_is_rejected()
    {
        var certificates = TestCertificates.Create(Path.Combine(_directory, "pki"));
        var stranger = TestCertificates.Create(Path.Combine(_directory, "other"), "Some Other CA");
        using var broker = StartTlsBroker(certificates, requireClientCertificate: false);
        var logger = new RecordingLogger<MqttClient>();
        var options = TestClients.Options(broker, "tls-wrong-ca");
        options.Tls = new MqttTlsOptions { CaFile = stranger.CaCertificateFile };
        var client = new MqttClient(options, logger);
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            await Wait.UntilAsync(() => client.Counters.ConnectFailures >= 1, Inbox.Patience, "untrusted certificate refused");
            Assert.False(client.IsConnected);
        }

        Assert.True(logger.Count("does not chain to the configured CA file") >= 1, logger.ToString());
    }

    [Fact]
    public async Task A_server_name_the_certificate_does_not_carry_is_rejected()
    {
        var certificates = TestCertificates.Create(Path.Combine(_directory, "pki"));
        using var broker = StartTlsBroker(certificates, requireClientCertificate: false);
        var logger = new RecordingLogger<MqttClient>();
        var options = TestClients.Options(broker, "tls-wrong-name");
        options.Tls = new MqttTlsOptions { CaFile = certificates.CaCertificateFile, ServerName = "broker.example.org" };
        var client = new MqttClient(options, logger);
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            await Wait.UntilAsync(() => client.Counters.ConnectFailures >= 1, Inbox.Patience, "name mismatch refused");
            Assert.False(client.IsConnected);
        }

        Assert.True(logger.Count("does not match the expected server name") >= 1, logger.ToString());
    }
}
