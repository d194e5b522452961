using System.Globalization;
using System.Text.RegularExpressions;
using Xunit.Abstractions;
using EdgeStore.Testing;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// <c>edgestore simulate</c> as a separate publisher process. At QoS 1 its exit code 0 means the broker
/// acknowledged (PUBACK) every message it reports as published, so from then on the broker owns them.
/// </summary>
public sealed partial class SimulatedSensors : IAsyncDisposable
{
    private readonly EdgeStoreProcess _process;

    private SimulatedSensors(EdgeStoreProcess process) => _process = process;

    public EdgeStoreProcess Process => _process;

    public static SimulatedSensors Start(
        int brokerPort,
        int devices,
        int count,
        int ratePerSecond,
        int qos = 1,
        string topicPrefix = "sensors",
        ITestOutputHelper? testOutput = null)
    {
        var arguments = new[]
        {
            "simulate",
            "--host", "127.0.0.1",
            "--port", brokerPort.ToString(CultureInfo.InvariantCulture),
            "--devices", devices.ToString(CultureInfo.InvariantCulture),
            "--count", count.ToString(CultureInfo.InvariantCulture),
            "--rate", ratePerSecond.ToString(CultureInfo.InvariantCulture),
            "--duration", "600s",
            "--qos", qos.ToString(CultureInfo.InvariantCulture),
            "--topic-prefix", topicPrefix,
        };
        return new SimulatedSensors(EdgeStoreProcess.Start(arguments, testOutput: testOutput));
    }

    /// <summary>Waits for the publisher to finish; asserts exit 0 and returns the number it reports as published.</summary>
    public async Task<long> WaitPublishedAsync(TimeSpan timeout)
    {
        var exitCode = await _process.WaitForExitAsync(timeout);
        Assert.True(exitCode == 0, $"edgestore simulate exited with {exitCode}.\n{_process.Dump()}");
        var match = PublishedLine().Match(_process.Output);
        Assert.True(match.Success, $"edgestore simulate did not print 'published N messages'.\n{_process.Dump()}");
        return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Stops a publisher that is still running (a failed test); the process object itself, and its output,
    /// belong to whoever started it through <see cref="DaemonScenario"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
    }

    [GeneratedRegex(@"published (\d+) messages")]
    private static partial Regex PublishedLine();
}
