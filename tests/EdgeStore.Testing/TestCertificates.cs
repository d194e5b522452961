using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeStore.Testing;

/// <summary>
/// A throwaway certificate authority with a server certificate (SAN: localhost and 127.0.0.1) and a client
/// certificate, written as PEM files for a TLS test (mosquitto's cafile/certfile/keyfile and the client's options).
/// </summary>
public sealed record TestCertificates(
    string Directory,
    string CaCertificateFile,
    string ServerCertificateFile,
    string ServerKeyFile,
    string ClientCertificateFile,
    string ClientKeyFile)
{
    /// <summary>Creates the CA, the server and the client certificate in <paramref name="directory"/>.</summary>
    public static TestCertificates Create(string directory, string caName = "EdgeStore Test CA")
    {
        System.IO.Directory.CreateDirectory(directory);
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        var caFile = Path.Combine(directory, "ca.crt");
        File.WriteAllText(caFile, ca.ExportCertificatePem());
        var (serverCert, serverKey) = Issue(ca, directory, "server", "CN=localhost", serverAuth: true, now);
        var (clientCert, clientKey) = Issue(ca, directory, "client", "CN=edgestore-test-client", serverAuth: false, now);
        return new TestCertificates(directory, caFile, serverCert, serverKey, clientCert, clientKey);
    }

    private static (string Certificate, string Key) Issue(
        X509Certificate2 ca, string directory, string name, string subject, bool serverAuth, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usage = serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2";
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F;
        using var certificate = request.Create(ca, now.AddDays(-1), now.AddMonths(6), serial);
        var certificateFile = Path.Combine(directory, name + ".crt");
        var keyFile = Path.Combine(directory, name + ".key");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }
}
