using EdgeStore.Commands;
using EdgeStore.Configuration;
using EdgeStore.Memory;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeStore.Tests.Commands;

/// <summary>
/// Every command reads the configuration through the one settings loader: a bad value is refused with exit code 2
/// and the field named, whatever the command, and `config show` prints the mmap cap the daemon runs with.
/// </summary>
public sealed class CommandConfigurationTests : IDisposable
{
    private const string PortError = "edgestore: invalid configuration: Mqtt:Port: must be 1..65535 (got 70000)";

    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-commands-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Status_backup_safe_mode_and_query_refuse_an_invalid_configuration_naming_the_field()
    {
        var config = Write("""{ "Mqtt": { "Port": 70000 }, "Storage": { "Path": "x.db" } }""");
        var database = Path.Combine(_directory, "x.db");

        foreach (var (name, run) in new (string, Func<TextWriter, Task<int>>)[]
        {
            ("status", error => StatusCommand.RunAsync(config, null, false, TimeProvider.System, TextWriter.Null, error, CancellationToken.None)),
            ("status --db", error => StatusCommand.RunAsync(config, database, false, TimeProvider.System, TextWriter.Null, error, CancellationToken.None)),
            ("backup", error => BackupCommand.RunAsync(Path.Combine(_directory, "b.db"), config, null, false, TextWriter.Null, error, CancellationToken.None)),
            ("safe-mode show", error => SafeModeCommand.RunAsync(clear: false, config, null, TextWriter.Null, error)),
            ("safe-mode clear", error => SafeModeCommand.RunAsync(clear: true, config, database, TextWriter.Null, error)),
        })
        {
            var error = new StringWriter();
            Assert.True(await run(error) == ExitCodes.InvalidInput, name);
            Assert.Equal([PortError], error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        var queryError = new StringWriter();
        Assert.Equal(ExitCodes.InvalidInput, await QueryCommand.RunAsync(new QueryArguments(config, database, "#", null, null, null, false), TextWriter.Null, queryError, TimeProvider.System, CancellationToken.None));
        Assert.Contains(PortError, queryError.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory, "b.db")));
    }

    [Fact]
    public async Task Status_finds_the_database_by_the_same_rule_as_run()
    {
        var database = Path.Combine(_directory, "state", "edgestore.db");
        var config = Write($$"""{ "Storage": { "Path": "{{database}}" } }""");
        var error = new StringWriter();

        Assert.Equal(ExitCodes.NotRunning, await StatusCommand.RunAsync(config, null, false, TimeProvider.System, TextWriter.Null, error, CancellationToken.None));
        Assert.Contains(Path.Combine(_directory, "state", "status.json"), error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Config_show_and_the_daemon_use_the_same_cgroup_aware_mmap_cap()
    {
        // 8 GiB of RAM, but a 512 MiB cgroup limit: the cap is 128 MiB, not 2 GiB.
        var loader = new SettingsLoader(
            new Dictionary<string, string?>(),
            new MachineFacts("gw", 8L << 30, CgroupLimitBytes: 512L << 20),
            Path.Combine(_directory, "none.json"));
        var config = Write($$"""{ "Storage": { "Path": "{{Path.Combine(_directory, "db", "edgestore.db")}}", "MmapSizeMiB": 1024 }, "Memory": { "Enabled": false } }""");

        var output = new StringWriter();
        Assert.Equal(ExitCodes.Ok, ConfigShowCommand.Show(loader, config, "text", output, new StringWriter()));
        var line = output.ToString().Split('\n').Single(l => l.StartsWith("Storage:MmapSizeMiB ", StringComparison.Ordinal));
        Assert.Equal("128", line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

        var loaded = loader.Load(config);
        using var host = RunCommand.CreateHostBuilder(loaded.Settings!, loaded.Configuration, loaded.Machine!.Memory).Build();
        Assert.Equal(128L << 20, host.Services.GetRequiredService<MmapCap>().CapBytes);
        Assert.Equal(loaded.Machine.MmapCapBytes, host.Services.GetRequiredService<MmapCap>().CapBytes);
    }

    private string Write(string json)
    {
        var path = Path.Combine(_directory, $"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }
}
