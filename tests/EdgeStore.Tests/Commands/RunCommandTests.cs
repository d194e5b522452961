using EdgeStore.Commands;
using EdgeStore.Configuration;
using Microsoft.Extensions.Hosting;

namespace EdgeStore.Tests.Commands;

public sealed class RunCommandTests
{
    [Fact]
    public async Task A_background_loop_that_died_is_named_so_run_exits_1_rather_than_0()
    {
        using var healthy = new LoopingService();
        using var failing = new FailingService();
        await healthy.StartAsync(CancellationToken.None);
        await failing.StartAsync(CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing.ExecuteTask!);

        Assert.Null(RunCommand.FailedBackgroundService([healthy]));
        var failed = RunCommand.FailedBackgroundService([healthy, failing]);
        Assert.NotNull(failed);
        Assert.Equal(nameof(FailingService), failed.Value.Name);
        Assert.Equal("metrics serializer unavailable", failed.Value.Error.Message);
        await healthy.StopAsync(CancellationToken.None);
    }

    private sealed class LoopingService : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);
    }

    private sealed class FailingService : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield();
            throw new InvalidOperationException("metrics serializer unavailable");
        }
    }

    [Fact]
    public async Task Invalid_configuration_exits_with_code_2_and_one_stderr_line_per_problem()
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-run-").FullName;
        try
        {
            var file = Path.Combine(directory, "edgestore.json");
            await File.WriteAllTextAsync(file, """{ "Mqtt": { "Port": 70000 }, "Ingest": { "MaxBatchRows": 0 } }""");
            var loader = new SettingsLoader(new Dictionary<string, string?>(), new MachineFacts("gw", null), Path.Combine(directory, "none.json"));
            var error = new StringWriter();

            var exitCode = await RunCommand.RunAsync(loader, file, error, CancellationToken.None);

            Assert.Equal(2, exitCode);
            Assert.Equal(
                [
                    "edgestore: invalid configuration: Mqtt:Port: must be 1..65535 (got 70000)",
                    "edgestore: invalid configuration: Ingest:MaxBatchRows: must be 1..100000 rows (got 0)",
                ],
                error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
