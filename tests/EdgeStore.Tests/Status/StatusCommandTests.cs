using EdgeStore.Commands;
using EdgeStore.Status;
using EdgeStore.Tests.Maintenance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStore.Tests.Status;

/// <summary>`edgestore status` over files written by the real writer, with a clock the test moves.</summary>
public sealed class StatusCommandTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 1, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-status-cmd-").FullName;
    private readonly FakeTimeProvider _clock = new(Now);

    private string DatabasePath => Path.Combine(_directory, "edgestore.db");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_missing_file_says_where_it_looked_and_exits_3()
    {
        var (exitCode, output, error) = await RunAsync(asJson: false);
        Assert.Equal(ExitCodes.NotRunning, exitCode);
        Assert.Equal(string.Empty, output);
        Assert.Contains($"not running: no status file at {Path.Combine(_directory, "status.json")}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fresh_file_prints_aligned_lines_with_the_memory_block_and_exits_0()
    {
        WriteStatus("running", rowsStored: 42);
        _clock.Advance(TimeSpan.FromSeconds(3));
        var (exitCode, output, error) = await RunAsync(asJson: false);
        Assert.True(exitCode == ExitCodes.Ok, error + output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("running (updated 3s ago)", Line(lines, "state:"), StringComparison.Ordinal);
        Assert.EndsWith(" 42", Line(lines, "rows stored:"), StringComparison.Ordinal);
        Assert.Contains("connected", Line(lines, "broker:"), StringComparison.Ordinal);
        Assert.Contains("level changes", Line(lines, "memory pressure:"), StringComparison.Ordinal);
        Assert.Contains("16 MiB (ceiling", Line(lines, "mmap limit:"), StringComparison.Ordinal);
        Assert.Contains("connections recycled", Line(lines, "memory governor:"), StringComparison.Ordinal);

        // Aligned: every value starts in the same column.
        var columns = lines.Select(l => l.Length - l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].TrimStart().Length).Distinct().ToList();
        Assert.Single(columns);
    }

    [Fact]
    public async Task Json_format_prints_the_file_itself()
    {
        WriteStatus("running", rowsStored: 9);
        var (exitCode, output, _) = await RunAsync(asJson: true);
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal((await File.ReadAllTextAsync(Path.Combine(_directory, "status.json"))).TrimEnd(), output.TrimEnd());
    }

    [Fact]
    public async Task A_file_older_than_30_s_from_a_live_pid_is_degraded_and_exits_5()
    {
        WriteStatus("running", rowsStored: 1);
        _clock.Advance(TimeSpan.FromSeconds(31));
        var (exitCode, output, _) = await RunAsync(asJson: false);
        Assert.Equal(ExitCodes.Degraded, exitCode);
        Assert.Contains("degraded: PID", output, StringComparison.Ordinal);
        Assert.Contains("has not updated its status (last update 31s ago)", output, StringComparison.Ordinal);

        var (jsonExit, json, jsonError) = await RunAsync(asJson: true);
        Assert.Equal(ExitCodes.Degraded, jsonExit);
        Assert.StartsWith("{", json, StringComparison.Ordinal);
        Assert.Contains("may be hung", jsonError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fresh_file_whose_pid_is_gone_is_not_running_and_exits_3()
    {
        // kill -9 leaves a "running" file behind that looks fresh for 30 s; the PID says otherwise.
        WriteStatus("running", rowsStored: 1);
        var (exitCode, output, _) = await RunAsync(asJson: false, alive: _ => false);
        Assert.Equal(ExitCodes.NotRunning, exitCode);
        Assert.Contains($"not running: PID {Environment.ProcessId} is gone without a clean stop", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listed_problem_is_degraded_and_exits_5()
    {
        WriteStatus("running", rowsStored: 1, brokerConnected: false);
        var (exitCode, output, _) = await RunAsync(asJson: false);
        Assert.Equal(ExitCodes.Degraded, exitCode);
        Assert.Contains("degraded: broker disconnected", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_starting_daemon_is_degraded_and_says_its_phase()
    {
        WriteStatus("opening database", rowsStored: 0);
        var (exitCode, output, _) = await RunAsync(asJson: false);
        Assert.Equal(ExitCodes.Degraded, exitCode);
        Assert.Contains("starting: opening database", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_migrating_daemon_shows_the_step_and_its_progress_and_exits_5()
    {
        WriteStatus("migrating", rowsStored: 0, migration: new MigrationStatus(1, 2, "series/time and quarantine time indexes", 2_000_000, _clock.GetUtcNow() - TimeSpan.FromSeconds(4)));
        var (exitCode, output, _) = await RunAsync(asJson: false);
        Assert.Equal(ExitCodes.Degraded, exitCode);
        Assert.Contains(
            "starting: migrating the schema from version 1 to 2 (series/time and quarantine time indexes): 2000000 rows, 4 s so far",
            output,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Phase_stopped_exits_3_even_when_fresh()
    {
        WriteStatus("stopped", rowsStored: 1);
        var (exitCode, output, _) = await RunAsync(asJson: false);
        Assert.Equal(ExitCodes.NotRunning, exitCode);
        Assert.Contains("not running: stopped cleanly at", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_config_file_is_a_bad_argument()
    {
        var error = new StringWriter();
        var exitCode = await StatusCommand.RunAsync(Path.Combine(_directory, "nope.json"), null, false, _clock, new StringWriter(), error, CancellationToken.None);
        Assert.Equal(ExitCodes.InvalidInput, exitCode);
        Assert.Contains("nope.json", error.ToString(), StringComparison.Ordinal);
    }

    private static string Line(string[] lines, string key) =>
        lines.SingleOrDefault(l => l.StartsWith(key, StringComparison.Ordinal)) ?? throw new Xunit.Sdk.XunitException($"no '{key}' line in:\n{string.Join('\n', lines)}");

    private void WriteStatus(string phase, long rowsStored, bool brokerConnected = true, MigrationStatus? migration = null)
    {
        var services = new ServiceCollection();
        var status = new DaemonStatus { Phase = phase, Migration = migration, BrokerConnected = brokerConnected, MmapLimitBytes = 16L * 1024 * 1024 };
        status.AddStored(rowsStored, 0, rowsStored);
        services.AddSingleton(status);
        using var provider = services.BuildServiceProvider();
        var writer = new StatusFileWriter(StatusFile.PathFor(DatabasePath), DatabasePath, TimeSpan.FromSeconds(5), provider, _clock, NullLogger<StatusFileWriter>.Instance);
        writer.WriteNow();
        writer.Dispose();
    }

    // The PID in these files is the test process's own: alive, but not an "edgestore" command line.
    private async Task<(int ExitCode, string Output, string Error)> RunAsync(bool asJson, Func<int, bool>? alive = null)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await StatusCommand.RunAsync(null, DatabasePath, asJson, _clock, output, error, CancellationToken.None, alive ?? (_ => true));
        return (exitCode, output.ToString(), error.ToString());
    }
}
