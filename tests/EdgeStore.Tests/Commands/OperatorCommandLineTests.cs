using System.Text.Json;
using EdgeStore.Testing;
using Xunit.Abstractions;

namespace EdgeStore.Tests.Commands;

/// <summary>
/// The built `edgestore` run as an operator types it: mistakes on the command line and in paths are answered in words,
/// with the allowed values, "did you mean", the subcommand's help and exit code 2 (arguments) or 1 (run time), never a
/// .NET type name or a stack trace; `config show` prints the values the daemon runs with, typed in JSON.
/// </summary>
public sealed class OperatorCommandLineTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-operator-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("querry", "edgestore: unknown command 'querry'; did you mean 'query'?", "Run 'edgestore --help' for the commands.")]
    [InlineData("safe-mode shw", "edgestore safe-mode: unknown command 'shw'; did you mean 'show'?", "Run 'edgestore safe-mode --help' for its options.")]
    [InlineData("query --topic a/b --limit abc", "edgestore query: --limit 'abc' is not a whole number (N)", "Run 'edgestore query --help' for its options.")]
    [InlineData("query --topic a/b --format xml", "edgestore query: --format 'xml' is not one of table, csv, jsonl", "Run 'edgestore query --help' for its options.")]
    [InlineData("query --limit 5", "edgestore query: --topic is required (FILTER)", "Run 'edgestore query --help' for its options.")]
    [InlineData("status --format yaml", "edgestore status: --format 'yaml' is not one of text, json", "Run 'edgestore status --help' for its options.")]
    [InlineData("status --fromat json", "edgestore status: unknown option '--fromat'; did you mean '--format'?", "Run 'edgestore status --help' for its options.")]
    [InlineData("simulate --qos x", "edgestore simulate: --qos 'x' is not a whole number", "Run 'edgestore simulate --help' for its options.")]
    [InlineData("", "edgestore: which command? one of run, query", "Run 'edgestore --help' for the commands.")]
    public async Task A_command_line_mistake_is_said_in_words_with_the_subcommands_help_and_exit_code_2(string arguments, string firstLine, string lastLine)
    {
        var (exitCode, _, error) = await RunAsync(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(exitCode == 2, $"exit {exitCode}: {error}");
        Assert.StartsWith(firstLine, lines[0], StringComparison.Ordinal);
        Assert.Equal(lastLine, lines[^1]);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command was not provided", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_time_range_is_said_out_loud_instead_of_printing_nothing()
    {
        var (exitCode, stdout, error) = await RunAsync(["query", "--topic", "sensors/#", "--since", "1h", "--until", "2h", "--db", Path.Combine(_directory, "none.db")]);
        Assert.True(exitCode == 2, $"exit {exitCode}: {error}");
        Assert.Empty(stdout.Trim());
        Assert.StartsWith("edgestore query: the time range is empty: --since 1h (", error, StringComparison.Ordinal);
        Assert.Contains("the larger one goes with --since (e.g. --since 2h --until 1h)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Choice_values_are_matched_the_same_way_by_every_command_whatever_their_case()
    {
        var database = Path.Combine(_directory, "none.db");

        // Accepted in upper case by status and config show alike; status then says why it has nothing to show.
        var (statusExit, _, statusError) = await RunAsync(["status", "--db", database, "--format", "JSON"]);
        Assert.True(statusExit == 3, $"status exit {statusExit}: {statusError}");
        Assert.Contains("not running: no status file at", statusError, StringComparison.Ordinal);

        var (configExit, configOutput, configError) = await RunAsync(["config", "show", "--format", "Json"]);
        Assert.True(configExit == 0, $"config show exit {configExit}: {configError}");
        using var document = JsonDocument.Parse(configOutput);
        Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
    }

    [Fact]
    public async Task Database_path_problems_are_one_plain_line_with_what_to_do_and_exit_code_1()
    {
        var file = Path.Combine(_directory, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        var notDatabase = Path.Combine(_directory, "notes.db");
        await File.WriteAllTextAsync(notDatabase, "these are an operator's notes, not a SQLite file\n");

        foreach (var (path, expected) in new[]
        {
            ("/proc/edgestore-missing/es.db", "edgestore run: the directory /proc/edgestore-missing does not exist, so /proc/edgestore-missing/es.db cannot be created; create it"),
            (Path.Combine(file, "es.db"), $"edgestore run: {file} is a file, not a directory"),
            (notDatabase, $"edgestore run: {notDatabase} is not a SQLite database; point Storage:Path (or --db) at EdgeStore's database"),
        })
        {
            var (exitCode, stdout, error) = await RunAsync(["run"], new() { ["EDGESTORE__STORAGE__PATH"] = path, ["EDGESTORE__MQTT__PORT"] = "1" });
            Assert.True(exitCode == 1, $"{path}: exit {exitCode}\n{stdout}\n{error}");
            var errorLines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(errorLines);
            Assert.StartsWith(expected, errorLines[0], StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stdout + error, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", stdout + error, StringComparison.Ordinal);
        }

        // The operator's file is untouched.
        Assert.Equal("these are an operator's notes, not a SQLite file\n", await File.ReadAllTextAsync(notDatabase));
    }

    [Fact]
    public async Task Config_show_prints_the_values_the_daemon_uses_with_their_sources_and_types()
    {
        var config = Path.Combine(_directory, "edgestore.json");
        await File.WriteAllTextAsync(config, """{ "Retention": { "QuarantineDays": 7 }, "Storage": { "Path": "db/edgestore.db" } }""");
        var (exitCode, json, error) = await RunAsync(["config", "show", "--config", config, "--format", "json"], new() { ["EDGESTORE__MQTT__PORT"] = "1884" });
        Assert.True(exitCode == 0, $"exit {exitCode}: {error}");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        void Expect(string key, string source, Action<JsonElement> value)
        {
            Assert.True(root.TryGetProperty(key, out var entry), $"no {key} in:\n{json}");
            Assert.Equal(source, entry.GetProperty("source").GetString());
            value(entry.GetProperty("value"));
        }

        // Numbers are numbers, switches are booleans, and defaults the daemon applies are printed, not "(none)".
        Expect("Mqtt:Port", "environment", v => Assert.Equal(1884, v.GetInt32()));
        Expect("Retention:QuarantineDays", "file", v => Assert.Equal(7, v.GetInt32()));
        Expect("Retention:MessagesDays", "default", v => Assert.Equal(90, v.GetInt32()));
        Expect("Maintenance:Windows:0:Start", "default", v => Assert.Equal("02:00", v.GetString()));
        Expect("Maintenance:Windows:0:Duration", "default", v => Assert.Equal("2h", v.GetString()));
        Expect("Storage:DiskFullPolicy", "default", v => Assert.Equal("StopAcks", v.GetString()));
        Expect("Uplink:Enabled", "default", v => Assert.Equal(JsonValueKind.False, v.ValueKind));
        Expect("Mqtt:Username", "default", v => Assert.Equal(JsonValueKind.Null, v.ValueKind));

        // The text form says the same.
        var (textExit, text, _) = await RunAsync(["config", "show", "--config", config]);
        Assert.Equal(0, textExit);
        Assert.Matches(@"(?m)^Retention:MessagesDays\s+90\s+default$", text);
        Assert.Matches(@"(?m)^Maintenance:Windows:0:Start\s+02:00\s+default$", text);
        Assert.DoesNotMatch(@"(?m)^(Retention|Maintenance|SafeMode)\S*\s+\(none\)", text);
    }

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] arguments, Dictionary<string, string?>? environment = null)
    {
        await using var process = await EdgeStoreProcess.RunAsync(arguments, CommandTimeout, environment, workingDirectory: _directory);
        process.WriteOutputOnDispose = false;
        var exitCode = await process.WaitForExitAsync(CommandTimeout);
        var standardOutput = string.Join('\n', process.Output.Split('\n').Where(l => !l.StartsWith("err: ", StringComparison.Ordinal)));
        output.WriteLine($"edgestore {string.Join(' ', arguments)} -> {exitCode}\n{process.StandardError}");
        return (exitCode, standardOutput, process.StandardError);
    }
}
