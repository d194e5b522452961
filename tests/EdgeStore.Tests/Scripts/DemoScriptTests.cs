using EdgeStore.Testing;
using Xunit.Abstractions;

namespace EdgeStore.Tests.Scripts;

/// <summary>
/// scripts/demo.sh run as an operator runs it, against a port (EDGESTORE_DEMO_PORT) where something that is not an
/// MQTT broker listens: it must say so and stop before installing, building or touching data/, not wait out the
/// daemon's connect timeout. The listener is in this test process, on 127.0.0.1.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class DemoScriptTests(ITestOutputHelper output)
{
    /// <summary>A bound on a run that should end in seconds; not a speed assertion.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly string Repository = RepositoryRoot.Path;

    [Fact]
    public async Task A_silent_tcp_listener_on_the_port_fails_the_demo_at_once_with_the_port_and_what_to_do()
    {
        await using var listener = NotAnMqttBroker.Start(reply: null);

        var demo = await RunDemoAsync(listener.Port);

        Assert.Equal(1, demo.ExitCode);
        Assert.Contains($"demo: 127.0.0.1:{listener.Port} accepts TCP connections but is not an MQTT broker (no CONNACK", demo.StandardError, StringComparison.Ordinal);
        Assert.Contains("EDGESTORE_DEMO_PORT=18830 scripts/demo.sh", demo.StandardError, StringComparison.Ordinal);
        Assert.False(demo.HasOutput("building edgestore"), demo.Dump());
        Assert.True(listener.Connections >= 2, $"the probe never connected to the listener ({listener.Connections} connections)");
        demo.WriteOutputOnDispose = false;
    }

    [Fact]
    public async Task A_listener_that_answers_something_else_is_named_with_the_bytes_it_sent()
    {
        await using var listener = NotAnMqttBroker.Start(reply: "HTTP/1.1 400 Bad Request\r\n\r\n");

        var demo = await RunDemoAsync(listener.Port);

        Assert.Equal(1, demo.ExitCode);
        Assert.Contains("is not an MQTT broker", demo.StandardError, StringComparison.Ordinal);
        Assert.Contains("it answered the bytes 48 54 54 50", demo.StandardError, StringComparison.Ordinal); // "HTTP"
        Assert.False(demo.HasOutput("building edgestore"), demo.Dump());
        demo.WriteOutputOnDispose = false;
    }

    private async Task<EdgeStoreProcess> RunDemoAsync(int port)
    {
        var demo = EdgeStoreProcess.StartProgram(
            "bash",
            [Path.Combine(Repository, "scripts", "demo.sh")],
            new Dictionary<string, string?> { ["EDGESTORE_DEMO_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            output);
        await demo.WaitForExitAsync(Patience);
        return demo;
    }
}
