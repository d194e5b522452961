using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace EdgeStore.Mqtt.Connection;

/// <summary>Opens the byte stream to the broker: TCP, then TLS when configured.</summary>
internal static class MqttTransport
{
    public static async Task<Stream> OpenAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var network = new NetworkStream(socket, ownsSocket: true);
        if (options.Tls is null)
        {
            return network;
        }

        var trust = new BrokerCertificateTrust(options.Tls);
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            var authentication = new SslClientAuthenticationOptions
            {
                TargetHost = options.Tls.ServerName ?? options.Host,
                RemoteCertificateValidationCallback = trust.Validate,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
            if (options.Tls.ClientCertificateFile is { } certificateFile)
            {
                authentication.ClientCertificates = [X509Certificate2.CreateFromPemFile(certificateFile, options.Tls.ClientKeyFile)];
            }

            await ssl.AuthenticateAsClientAsync(authentication, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new MqttException($"TLS handshake failed: {trust.Failure ?? exception.Message}", exception);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
