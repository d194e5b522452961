using Xunit.Abstractions;
using EdgeStore.Testing;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// C5 for configuration: a bad value stops start-up before anything connects or opens, with exit code 2 and
/// a stderr line naming the field, so that an operator (or systemd's journal) sees what to fix.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class ConfigurationEndToEndTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-config-").FullName;

    [Fact]
    public async Task Out_of_range_port_in_the_config_file_exits_2_naming_the_field()
    {
        var config = WriteConfig("bad.json", """{ "Mqtt": { "Port": 70000 } }""");
        await using var daemon = await RunAsync(["run", "--config", config]);

        Assert.True(daemon.ExitCode == 2, daemon.Dump());
        Assert.Contains("Mqtt:Port", daemon.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "data", "edgestore.db")), "a rejected configuration still opened the database");
        daemon.WriteOutputOnDispose = false;
    }

    [Fact]
    public async Task Unparsable_port_in_the_environment_exits_2_naming_the_field()
    {
        await using var daemon = await RunAsync(["run"], new() { ["EDGESTORE__MQTT__PORT"] = "eighteen-eighty-three" });

        Assert.True(daemon.ExitCode == 2, daemon.Dump());
        Assert.Contains("Mqtt:Port", daemon.StandardError, StringComparison.Ordinal);
        daemon.WriteOutputOnDispose = false;
    }

    [Fact]
    public async Task Missing_config_file_given_on_the_command_line_is_an_error_naming_the_file()
    {
        var missing = Path.Combine(_directory, "does-not-exist.json");
        await using var daemon = await RunAsync(["run", "--config", missing]);

        Assert.True(daemon.ExitCode is 1 or 2, daemon.Dump());
        Assert.Contains("does-not-exist.json", daemon.StandardError, StringComparison.Ordinal);
        daemon.WriteOutputOnDispose = false;
    }

    [Fact]
    public async Task Version_prints_a_version_and_exits_0()
    {
        await using var daemon = await RunAsync(["--version"]);

        Assert.True(daemon.ExitCode == 0, daemon.Dump());
        Assert.Matches(@"^\d+\.\d+\.\d+", daemon.Output.Trim());
        daemon.WriteOutputOnDispose = false;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private string WriteConfig(string name, string json)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, json);
        return path;
    }

    private async Task<EdgeStoreProcess> RunAsync(string[] arguments, Dictionary<string, string?>? environment = null)
    {
        // A temporary database path: a daemon that wrongly accepted the config writes nothing outside the test.
        environment ??= [];
        environment.TryAdd("EDGESTORE__STORAGE__PATH", Path.Combine(_directory, "data", "edgestore.db"));
        var process = EdgeStoreProcess.Start(arguments, environment, _directory, output);
        try
        {
            await process.WaitForExitAsync(ExitTimeout);
        }
        catch (TimeoutException)
        {
            await process.DisposeAsync();
            throw;
        }

        return process;
    }
}
