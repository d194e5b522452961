using EdgeStore.Commands;
using EdgeStore.Configuration;

namespace EdgeStore.Tests.Commands;

public sealed class RunCommandTests
{
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
