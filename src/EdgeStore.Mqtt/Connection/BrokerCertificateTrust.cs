using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace EdgeStore.Mqtt.Connection;

/// <summary>
/// Decides whether the broker's certificate is trusted. With a CA file, those CA certificates are the ONLY trust
/// anchors (custom root trust; the system store is ignored); the host name check is always kept.
/// </summary>
internal sealed class BrokerCertificateTrust
{
    private readonly X509Certificate2Collection? _anchors;

    public BrokerCertificateTrust(MqttTlsOptions tls)
    {
        if (tls.CaFile is { } caFile)
        {
            _anchors = [];
            _anchors.ImportFromPemFile(caFile);
            if (_anchors.Count == 0)
            {
                throw new MqttException($"CA file '{caFile}' holds no PEM certificate");
            }
        }
    }

    /// <summary>Why the last validation failed, for the connect error message.</summary>
    public string? Failure { get; private set; }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            Failure = "the broker sent no certificate";
            return false;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            Failure = "the broker certificate does not match the expected server name";
            return false;
        }

        if (_anchors is null)
        {
            Failure = errors == SslPolicyErrors.None ? null : $"the broker certificate is not trusted by the system store ({errors})";
            return errors == SslPolicyErrors.None;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_anchors);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the broker sent are candidates for path building, never anchors.
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = certificate as X509Certificate2 is { } typed
            ? X509CertificateLoader.LoadCertificate(typed.RawData)
            : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (custom.Build(leaf))
        {
            Failure = null;
            return true;
        }

        var status = string.Join(", ", custom.ChainStatus.Select(s => s.Status.ToString()));
        Failure = $"the broker certificate does not chain to the configured CA file ({status})";
        return false;
    }
}
