using System.Diagnostics;
using System.Globalization;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// mosquitto_pub, the reference client, as an independent publisher: exact payload bytes, QoS 1,
/// and MQTT 5 properties (content type) that EdgeStore's own simulator does not send.
/// </summary>
public static class MosquittoPublish
{
    /// <summary>Publishes each line as one message (mosquitto_pub -l) at QoS 1; asserts exit code 0.</summary>
    public static Task LinesAsync(int port, string topic, IEnumerable<string> lines, string? contentType = null) =>
        RunAsync(port, topic, ["-l"], string.Join('\n', lines) + "\n", contentType);

    /// <summary>Publishes one message with exactly <paramref name="payload"/> at QoS 1; asserts exit code 0.</summary>
    public static Task MessageAsync(int port, string topic, string payload, string? contentType = null) =>
        RunAsync(port, topic, ["-m", payload], null, contentType);

    /// <summary>Publishes the bytes of <paramref name="path"/> as one QoS 1 message (mosquitto_pub -f) with the given protocol.</summary>
    public static Task FileAsync(int port, string topic, string path, string protocol = "mqttv5") =>
        RunAsync(port, topic, ["-f", path], null, null, protocol);

    private static async Task RunAsync(int port, string topic, IReadOnlyList<string> body, string? standardInput, string? contentType, string protocol = "mqttv5")
    {
        var arguments = new List<string>
        {
            "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-q", "1", "-t", topic,
            "-V", protocol,
        };
        if (contentType is not null)
        {
            arguments.AddRange(["-D", "publish", "content-type", contentType]);
        }

        arguments.AddRange(body);
        var info = new ProcessStartInfo("mosquitto_pub", arguments)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("mosquitto_pub did not start");
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cancellation.Token);
        Assert.True(
            process.ExitCode == 0,
            $"mosquitto_pub {string.Join(' ', arguments)} exited with {process.ExitCode}: {await standardError}{await standardOutput}");
    }
}
