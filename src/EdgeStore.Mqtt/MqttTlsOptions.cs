namespace EdgeStore.Mqtt;

/// <summary>TLS settings. When present on <see cref="MqttClientOptions.Tls"/>, the connection uses TLS.</summary>
public sealed class MqttTlsOptions
{
    /// <summary>PEM file with the CA certificate(s) that are the ONLY trust anchors for the broker's certificate.
    /// When null, the operating system's trust store is used.</summary>
    public string? CaFile { get; init; }

    /// <summary>PEM file with our client certificate (optional; needs <see cref="ClientKeyFile"/>).</summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>PEM file with the private key of the client certificate.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>The name the broker's certificate must carry; defaults to <see cref="MqttClientOptions.Host"/>.</summary>
    public string? ServerName { get; init; }
}
