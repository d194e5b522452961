using System.Text.RegularExpressions;
using EdgeStore.Commands;
using EdgeStore.Storage;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;
using static EdgeStore.Tests.Commands.TelemetryFile;

namespace EdgeStore.Tests.Commands;

/// <summary>
/// `edgestore backup` run as an operator runs it, the built executable against a real database file: progress on
/// stderr, the result in human sizes on stdout, and one-line refusals naming the path and what to do.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class BackupCommandProcessTests : TelemetryFileCommandTests
{
    private const int Rows = 3000;

    public BackupCommandProcessTests(ITestOutputHelper log)
        : base(log, "backup-process")
    {
    }

    private protected override IEnumerable<IngestRecord> Records =>
        Enumerable.Range(0, Rows).Select(i => Message($"sensors/dev-{i % 10}/telemetry", $$"""{"seq":{{i}},"pad":"{{new string('x', 1000)}}"}""", Noon.AddSeconds(i)));

    [Fact]
    public async Task A_backup_reports_what_it_copies_in_human_sizes_and_holds_every_row()
    {
        var target = Path.Combine(WorkDirectory, "copy.db");

        var run = await BackupAsync(target);

        Assert.Equal(0, run.ExitCode);
        var result = Assert.Single(run.Output);
        Assert.Matches(Result(), result);
        Assert.Contains($" to {target} in ", result, StringComparison.Ordinal);
        Assert.Matches(Start(), run.Error[0]);
        Assert.Contains($"copying {DatabasePath} (about ", run.Error[0], StringComparison.Ordinal);
        Assert.All(run.Error, line => Assert.StartsWith("edgestore backup: ", line, StringComparison.Ordinal));
        using var copy = SqliteConnectionFactory.OpenReadOnly(target);
        Assert.Equal(Rows, SqliteConnectionFactory.ExecuteInt64(copy, "SELECT count(*) FROM messages"));
        Assert.Empty(Directory.GetFiles(WorkDirectory, ".copy.db.partial-*"));
    }

    [Fact]
    public async Task A_missingWorkDirectory_is_refused_with_exit_2_naming_it()
    {
        var missing = Path.Combine(WorkDirectory, "no", "such");

        var run = await BackupAsync(Path.Combine(missing, "copy.db"));

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(run.Output);
        Assert.Equal($"edgestore backup: no such directory ({missing}); create it first, or give a path in an existing directory", run.SingleError);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public async Task An_existingWorkDirectory_is_refused_with_exit_2_suggesting_a_file_in_it()
    {
        var directory = Directory.CreateDirectory(Path.Combine(WorkDirectory, "backups")).FullName;

        var run = await BackupAsync(directory);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            $"edgestore backup: the target is a directory ({directory}); give a file name in it, such as {Path.Combine(directory, "edgestore-backup.db")}",
            run.SingleError);
        Assert.Empty(Directory.GetFileSystemEntries(directory));
    }

    [Fact]
    public async Task An_existing_file_is_kept_and_refused_with_exit_2_unless_force()
    {
        var target = Path.Combine(WorkDirectory, "copy.db");
        await File.WriteAllTextAsync(target, "keep me");

        var refused = await BackupAsync(target);
        Assert.Equal(2, refused.ExitCode);
        Assert.Equal($"edgestore backup: the target already exists ({target}); give another path, or add --force to replace it", refused.SingleError);
        Assert.Equal("keep me", await File.ReadAllTextAsync(target));

        var forced = await BackupAsync(target, "--force");
        Assert.Equal(0, forced.ExitCode);
        using var copy = SqliteConnectionFactory.OpenReadOnly(target);
        Assert.Equal(Rows, SqliteConnectionFactory.ExecuteInt64(copy, "SELECT count(*) FROM messages"));
    }

    [Fact]
    public async Task A_place_that_cannot_be_written_fails_with_exit_1_in_one_line()
    {
        // /proc takes no new files, not even from root.
        var target = $"/proc/edgestore-backup-{Guid.NewGuid():N}.db";

        var run = await BackupAsync(target);

        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.Output);
        var failure = run.Error[^1];
        Assert.StartsWith($"edgestore backup: the backup failed ({target}): ", failure, StringComparison.Ordinal);
        Assert.EndsWith("; check that the directory is writable by this user and has room, then run it again", failure, StringComparison.Ordinal);
        Assert.All(run.Error, line => Assert.StartsWith("edgestore backup: ", line, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1024, "1.0 KiB")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(1_048_575, "1.0 MiB")]
    [InlineData(1_288_490_189, "1.2 GiB")]
    public void Sizes_are_printed_in_powers_of_1024(long bytes, string expected)
    {
        Assert.Equal(expected, HumanBytes.Format(bytes));
    }

    private Task<CommandRun> BackupAsync(string target, params string[] more) =>
        RunAsync(["backup", target, "--db", DatabasePath, .. more]);

    [GeneratedRegex(@"^copied \d+\.\d (KiB|MiB) to .+ in \d+(\.\d)? s, quick_check ok$")]
    private static partial Regex Result();

    [GeneratedRegex(@"^edgestore backup: copying .+ \(about \d+\.\d MiB\) to .+$")]
    private static partial Regex Start();
}
