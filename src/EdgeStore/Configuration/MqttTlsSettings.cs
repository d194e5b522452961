namespace EdgeStore.Configuration;

/// <summary>The `Mqtt:Tls` section. TLS is off unless `Enabled` is true; file paths are PEM files.</summary>
internal sealed class MqttTlsSettings
{
    public bool Enabled { get; set; }

    public string? CaFile { get; set; }

    public string? ClientCertificateFile { get; set; }

    public string? ClientKeyFile { get; set; }

    /// <summary>The name the broker's certificate must carry; null means `Mqtt:Host`.</summary>
    public string? ServerName { get; set; }
}
