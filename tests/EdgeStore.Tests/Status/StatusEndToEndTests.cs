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
        // The first file may predate the broker connection (exit 5, "broker disconnected"); the daemon is up throughout.
        var (_, json, _) = await Wait.ForAsync(
            () => StatusAsync(scenario, "json"),
            result => result.ExitCode == 0 && Parse(result.Output).GetProperty("rowsStored").GetInt64() >= messages,
            TimeSpan.FromSeconds(90),
            $"`edgestore status` exiting 0 and showing {messages} rows stored");
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
        Assert.Contains("not running: stopped cleanly", stoppedError, StringComparison.Ordinal);

        var (stoppedTextExit, stoppedText, _) = await StatusAsync(scenario, "text");
        Assert.Equal(3, stoppedTextExit);
        Assert.Contains("not running: stopped cleanly", stoppedText, StringComparison.Ordinal);
        output.WriteLine(stoppedText);
        scenario.MarkPassed();
    }

    [Fact]
    public async Task Status_says_degraded_while_the_broker_is_down_and_not_running_right_after_kill_9()
    {
        await using var scenario = new DaemonScenario(output, "e2e-status-honest");
        var daemon = await scenario.StartSubscribedDaemonAsync();
        await Wait.ForAsync(async () => (await StatusAsync(scenario, "text")).ExitCode, code => code == 0, TimeSpan.FromSeconds(60), "status exit 0 while subscribed");

        // The broker goes away: the daemon lives on, reconnecting, and says so with exit code 5.
        scenario.Broker.Stop();
        var degraded = await Wait.ForAsync(
            () => StatusAsync(scenario, "text"),
            result => result.ExitCode == 5,
            TimeSpan.FromSeconds(60),
            "status exit 5 (degraded) with the broker down");
        Assert.Contains("degraded: broker disconnected", degraded.Output, StringComparison.Ordinal);

        // kill -9 leaves a status file that still says "running" and looks fresh: the PID tells the truth at once.
        daemon.Kill();
        await daemon.WaitForExitAsync(CommandTimeout);
        var (exitCode, text, _) = await StatusAsync(scenario, "text");
        Assert.True(exitCode == 3, $"status exited {exitCode} after kill -9:\n{text}");
        Assert.Contains($"not running: PID {daemon.ProcessId} is gone without a clean stop", text, StringComparison.Ordinal);
        Assert.Equal("running", Parse(await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(scenario.DatabasePath)!, "status.json"))).GetProperty("phase").GetString());
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
