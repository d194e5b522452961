using System.Globalization;
using System.Text.Json;
using EdgeStore.Safety;
using EdgeStore.Status;
using EdgeStore.Storage;
using EdgeStore.Testing;
using EdgeStore.Tests.Store;
using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// The built daemon started on a database an earlier EdgeStore left, as an operator meets it after an upgrade: it says
/// what it is migrating before it starts, status.json shows the migration, and SIGTERM in the middle of it is honoured
/// at once with the step rolled back. The files are real and large (built by one INSERT…SELECT), no test hook slows the
/// migration down; no broker is needed, since the migration runs before ingestion starts.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class StartupMigrationEndToEndTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Enough for the 1 → 2 step (an index over every row) to run for seconds, not milliseconds.</summary>
    private const long LargeRows = 2_000_000;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-e2e-migration-").FullName;

    private string DatabasePath => Path.Combine(_directory, "edgestore.db");

    private string StatusPath => Path.Combine(_directory, StatusFile.FileName);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_daemon_announces_each_step_with_its_row_count_before_running_it_and_keeps_every_row()
    {
        const long rows = 200_000;
        OldSchemaDatabase.Create(DatabasePath, version: 1, rows);
        await using var daemon = StartDaemon();

        await daemon.WaitForOutputAsync($"open (schema version {SchemaMigrator.LatestVersion}", Patience);
        var lines = daemon.LinesAfter(0);
        var announced = IndexOf(lines, $"Migrating database {DatabasePath} from schema version 1 to 2 ({rows} rows; every row is kept)");
        var done = IndexOf(lines, $"Migrated database {DatabasePath} to schema version 2");
        Assert.True(announced >= 0 && done > announced, $"expected the announcement before the step's end.\n{daemon.Dump()}");
        Assert.True(IndexOf(lines, "from schema version 3 to 4") >= 0, daemon.Dump());

        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(Patience));
        Assert.Equal((SchemaMigrator.LatestVersion, rows), OldSchemaDatabase.Inspect(DatabasePath));
        daemon.WriteOutputOnDispose = false;
    }

    [Fact]
    public async Task Sigterm_during_a_migration_exits_0_promptly_leaving_the_file_at_its_old_version_with_every_row()
    {
        OldSchemaDatabase.Create(DatabasePath, version: 1, LargeRows);
        await using var daemon = StartDaemon();

        // status.json is written as the step starts: phase "migrating" with where it stands.
        var status = await WaitForStatusAsync(root => root.GetProperty("phase").GetString() == "migrating", daemon);
        var migration = status.GetProperty("migration");
        Assert.Equal(1, migration.GetProperty("fromVersion").GetInt32());
        Assert.Equal(2, migration.GetProperty("toVersion").GetInt32());
        Assert.Equal(LargeRows, migration.GetProperty("rows").GetInt64());
        Assert.Equal("series/time and quarantine time indexes", migration.GetProperty("step").GetString());
        Assert.True(migration.GetProperty("elapsedSeconds").GetDouble() >= 0);
        Assert.Equal(daemon.ProcessId, status.GetProperty("pid").GetInt32());
        Assert.True(daemon.HasOutput($"from schema version 1 to 2 ({LargeRows} rows"), daemon.Dump());

        daemon.Terminate();
        Assert.Equal(0, await daemon.WaitForExitAsync(Patience));

        Assert.True(daemon.HasOutput($"Stop requested while migrating database {DatabasePath} to schema version 2"), daemon.Dump());
        Assert.True(
            daemon.HasOutput($"Stopped migrating database {DatabasePath} to schema version 2"),
            $"the migration finished before SIGTERM arrived, or the stop was not reported.\n{daemon.Dump()}");
        Assert.False(daemon.HasOutput("Migrated database"), daemon.Dump());
        Assert.DoesNotContain(daemon.LinesAfter(0), line => line.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        Assert.Equal((1, LargeRows), OldSchemaDatabase.Inspect(DatabasePath));
        Assert.Equal("stopped", ReadStatus().GetProperty("phase").GetString());
        Assert.Equal(JsonValueKind.Null, ReadStatus().GetProperty("migration").ValueKind);

        // A requested stop is a clean exit: no run marker left to count towards storage-safe mode.
        Assert.False(File.Exists(RunMarker.PathIn(_directory)), "the run marker was left behind");

        // The next start migrates the same file to the end.
        await using var restarted = StartDaemon();
        await restarted.WaitForOutputAsync($"open (schema version {SchemaMigrator.LatestVersion}", Patience);
        restarted.Terminate();
        Assert.Equal(0, await restarted.WaitForExitAsync(Patience));
        Assert.Equal((SchemaMigrator.LatestVersion, LargeRows), OldSchemaDatabase.Inspect(DatabasePath));
        daemon.WriteOutputOnDispose = false;
        restarted.WriteOutputOnDispose = false;
    }

    private EdgeStoreProcess StartDaemon() => EdgeStoreProcess.Start(
        ["run"],
        new Dictionary<string, string?>
        {
            ["EDGESTORE__STORAGE__PATH"] = DatabasePath,
            ["EDGESTORE__MQTT__HOST"] = "127.0.0.1",
            ["EDGESTORE__MQTT__PORT"] = FreePort.Next().ToString(CultureInfo.InvariantCulture), // nothing listens: start-up needs no broker
            ["EDGESTORE__NODE__ID"] = "e2e-migration",
        },
        _directory,
        output);

    private static int IndexOf(IReadOnlyList<string> lines, string text)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Contains(text, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private JsonElement ReadStatus()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(StatusPath));
        return document.RootElement.Clone();
    }

    private async Task<JsonElement> WaitForStatusAsync(Func<JsonElement, bool> condition, EdgeStoreProcess daemon)
    {
        // status.json is replaced atomically: once it exists every read is a whole document.
        var found = await Wait.ForAsync(
            () => File.Exists(StatusPath) ? ReadStatus() : (JsonElement?)null,
            root => root is { } r && condition(r) || daemon.HasExited,
            Patience,
            "status.json showing the migration");
        Assert.False(daemon.HasExited, $"the daemon exited before status.json showed the migration.\n{daemon.Dump()}");
        return found!.Value;
    }
}
