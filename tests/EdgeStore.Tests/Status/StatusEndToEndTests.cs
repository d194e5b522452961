using System.Globalization;
using System.Text.Json;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Status;

/// <summary>
/// `edgestore status` as an operator runs it, as a separate process, against a real daemon fed by mosquitto_pub:
/// live numbers while it runs, and "stopped" with exit code 3 after SIGTERM.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class StatusEndToEndTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Status_reports_the_running_daemon_and_then_its_stop()
    {
        const int messages = 25;
        await using var scenario = new DaemonScenario(output, "e2e-status");
        var daemon = await scenario.StartSubscribedDaemonAsync();

        var lines = Enumerable.Range(1, messages).Select(seq => $$"""{"seq":{{seq}},"ts":{{1_700_000_000_000L + seq}},"temperature":21.5}""");
        await MosquittoPublish.LinesAsync(scenario.Broker.Port, "sensors/dev-0001/telemetry", lines);
        var stored = await scenario.Store.WaitForMessagesAsync(messages, DaemonScenario.DrainTimeout);
        Assert.True(stored == messages, $"stored {stored} of {messages}.\n{daemon.Dump()}");

        // The file is rewritten every few seconds: poll (bounded) until it shows the stored rows.
        var json = await Wait.ForAsync(
            async () =>
            {
                var (exitCode, text, error) = await StatusAsync(scenario, "json");
                Assert.True(exitCode == 0, $"edgestore status exited {exitCode}: {error}\n{text}\n{daemon.Dump()}");
                return text;
            },
            text => Parse(text).GetProperty("rowsStored").GetInt64() >= messages,
            TimeSpan.FromSeconds(90),
            $"`edgestore status` showing {messages} rows stored");
        var running = Parse(json);

        Assert.Equal(daemon.ProcessId, running.GetProperty("pid").GetInt32());
        Assert.Equal("running", running.GetProperty("phase").GetString());
        Assert.True(running.GetProperty("brokerConnected").GetBoolean());
        Assert.True(running.GetProperty("acknowledged").GetInt64() >= messages);
        // The limit is the cap unless the test machine itself is under memory pressure, when the governor lowers it
        // (to 0 at Critical): either way it lies within 0..cap, and the cap is known.
        var mmapCap = running.GetProperty("memory").GetProperty("mmapCapBytes").GetInt64();
        var mmapLimit = running.GetProperty("memory").GetProperty("mmapLimitBytes").GetInt64();
        Assert.True(mmapCap > 0, $"mmap cap {mmapCap}");
        Assert.InRange(mmapLimit, 0, mmapCap);
        Assert.False(running.GetProperty("safeMode").GetProperty("active").GetBoolean());
        Assert.Equal(scenario.DatabasePath, running.GetProperty("database").GetProperty("path").GetString());
        Assert.True(running.GetProperty("database").GetProperty("sizeBytes").GetInt64() > 0);

        var (textExit, text, textError) = await StatusAsync(scenario, "text");
        Assert.True(textExit == 0, $"edgestore status exited {textExit}: {textError}\n{text}");
        Assert.Contains("broker:", text, StringComparison.Ordinal);
        Assert.Contains("memory pressure:", text, StringComparison.Ordinal);
        Assert.Contains("mmap limit:", text, StringComparison.Ordinal);
        Assert.Contains("memory governor:", text, StringComparison.Ordinal);
        Assert.Contains("connections recycled", text, StringComparison.Ordinal);

        await DaemonScenario.StopCleanlyAsync(daemon);

        var (stoppedExit, stoppedJson, stoppedError) = await StatusAsync(scenario, "json");
        Assert.Equal(3, stoppedExit);
        var stopped = Parse(stoppedJson);
        Assert.Equal("stopped", stopped.GetProperty("phase").GetString());
        Assert.Equal(messages, stopped.GetProperty("rowsStored").GetInt64());
        Assert.Contains("stopped (daemon not running", stoppedError, StringComparison.Ordinal);

        var (stoppedTextExit, stoppedText, _) = await StatusAsync(scenario, "text");
        Assert.Equal(3, stoppedTextExit);
        Assert.Contains("stopped (daemon not running", stoppedText, StringComparison.Ordinal);
        output.WriteLine(stoppedText);
        scenario.MarkPassed();
    }

    private async Task<(int ExitCode, string Output, string Error)> StatusAsync(DaemonScenario scenario, string format)
    {
        await using var status = await EdgeStoreProcess.RunAsync(
            ["status", "--db", scenario.DatabasePath, "--format", format], CommandTimeout, workingDirectory: scenario.Directory);
        status.WriteOutputOnDispose = false;
        var exitCode = await status.WaitForExitAsync(CommandTimeout);
        var standardError = status.StandardError;
        var standardOutput = string.Join('\n', status.Output.Split('\n').Where(l => !l.StartsWith("err: ", StringComparison.Ordinal)));
        output.WriteLine($"edgestore status --format {format} -> {exitCode.ToString(CultureInfo.InvariantCulture)}");
        return (exitCode, standardOutput, standardError);
    }

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
