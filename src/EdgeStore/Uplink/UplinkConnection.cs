using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EdgeStore.Configuration;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;

namespace EdgeStore.Uplink;

/// <summary>
/// One MQTTnet connection to the upstream broker, built from the `Uplink` settings: TCP or WebSockets, TLS with a CA
/// file (the broker's chain is checked against that CA alone, without revocation lookups a gateway usually cannot
/// make) and a client certificate, MQTT 5 or 3.1.1, clean start (what was not acknowledged is sent again from the
/// forwarding cursor, so nothing depends on a broker session). <see cref="Lost"/> completes when the connection drops.
/// </summary>
internal sealed class UplinkConnection : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly TaskCompletionSource<string> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private UplinkConnection(IMqttClient client, string endpoint, int receiveMaximum)
    {
        _client = client;
        Endpoint = endpoint;
        ReceiveMaximum = receiveMaximum;
    }

    /// <summary>`tcp://host:port`, `mqtts://host:port`, `ws://host:port/path` or `wss://host:port/path`: which connection log lines name.</summary>
    public string Endpoint { get; }

    /// <summary>How many QoS 1 publishes the broker accepts unacknowledged (65535 when it did not say, and under MQTT 3.1.1).</summary>
    public int ReceiveMaximum { get; }

    /// <summary>Completes with the reason when the connection is lost.</summary>
    public Task<string> Lost => _lost.Task;

    public static string DescribeEndpoint(UplinkSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return IsWebSockets(settings)
            ? $"{(settings.Tls.Enabled ? "wss" : "ws")}://{settings.Host}:{settings.Port}{settings.WebSocketPath}"
            : $"{(settings.Tls.Enabled ? "mqtts" : "tcp")}://{settings.Host}:{settings.Port}";
    }

    /// <summary>Connects; throws with the broker's reason (or the network's) when it cannot.</summary>
    public static async Task<UplinkConnection> ConnectAsync(UplinkSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            var connection = await ConnectAsync(client, settings, ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public Task<MqttClientPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken ct) => _client.PublishAsync(message, ct);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_client.IsConnected)
            {
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), bounded.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is MqttCommunicationException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            // Already gone: nothing to say goodbye to.
        }
        finally
        {
            _lost.TrySetResult("closed");
            _client.Dispose();
        }
    }

    private static async Task<UplinkConnection> ConnectAsync(IMqttClient client, UplinkSettings settings, CancellationToken ct)
    {
        var endpoint = DescribeEndpoint(settings);
        var options = new MqttClientOptionsBuilder()
            .WithClientId(settings.ClientId)
            .WithProtocolVersion(settings.ProtocolVersion == MqttSettings.MqttV311 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(settings.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds))
            // One write per PUBLISH instead of two (header, then payload); over TCP the writes are gathered into as few
            // sends as the socket allows (CoalescingSocketStream): a third of the uplink's CPU was the kernel.
            .WithoutPacketFragmentation();
        options = IsWebSockets(settings)
            ? options.WithWebSocketServer(ws => ws.WithUri(endpoint))
            : options.WithTcpServer(settings.Host, settings.Port).WithStreamProvider(new CoalescingSocketStream.Provider());
        if (settings.Username is not null)
        {
            options = options.WithCredentials(settings.Username, settings.Password);
        }

        if (settings.Tls.Enabled)
        {
            var tls = settings.Tls;
            var trusted = tls.CaFile is null ? null : LoadCertificates(tls.CaFile);
            options = options.WithTlsOptions(o =>
            {
                o.UseTls()
                    .WithTargetHost(tls.ServerName ?? settings.Host!)
                    .WithRevocationMode(X509RevocationMode.NoCheck)
                    .WithCertificateValidationHandler(args => IsTrusted(args.Certificate, args.SslPolicyErrors, trusted));
                if (tls.ClientCertificateFile is not null)
                {
                    o.WithClientCertificates([X509Certificate2.CreateFromPemFile(tls.ClientCertificateFile, tls.ClientKeyFile)]);
                }
            });
        }

        UplinkConnection? connection = null;
        client.DisconnectedAsync += args =>
        {
            connection?._lost.TrySetResult(args.Exception?.Message ?? $"disconnected ({args.Reason})");
            return Task.CompletedTask;
        };

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds));
        MqttClientConnectResult result;
        try
        {
            result = await client.ConnectAsync(options.Build(), bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no CONNACK from {endpoint} within {settings.ConnectTimeoutSeconds} s");
        }

        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new UplinkFailureException($"{endpoint} refused the connection: {result.ResultCode}{(string.IsNullOrEmpty(result.ReasonString) ? string.Empty : " (" + result.ReasonString + ")")}");
        }

        connection = new UplinkConnection(client, endpoint, result.ReceiveMaximum is { } max and > 0 ? max : ushort.MaxValue);
        if (!client.IsConnected)
        {
            connection._lost.TrySetResult("disconnected right after CONNACK");
        }

        return connection;
    }

    private static bool IsWebSockets(UplinkSettings settings) =>
        string.Equals(settings.Transport, UplinkSettings.TransportWebSockets, StringComparison.OrdinalIgnoreCase);

    private static X509Certificate2Collection LoadCertificates(string pemFile)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(pemFile);
        return collection;
    }

    /// <summary>The broker's certificate must match the expected name and chain to the configured CA (or the system's roots without one).</summary>
    private static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection? trusted)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        if (trusted is null)
        {
            return errors == SslPolicyErrors.None;
        }

        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}

/// <summary>The upstream broker refused a connection or a publish (a non-success reason code): retried with backoff.</summary>
internal sealed class UplinkFailureException(string message) : Exception(message);
