using EdgeStore.Commands;

namespace EdgeStore.Tests.Maintenance;

public sealed class BackupCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-backup-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Backup_while_ingesting_passes_integrity_check_and_holds_every_row_committed_before_it_started()
    {
        var path = Path.Combine(_directory, "edgestore.db");
        await using var store = await StoreUnderLoad.StartAsync(path, 64L << 20);
        await store.WriteAsync(4000, DateTimeOffset.UtcNow, 512, CancellationToken.None);
        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(2));
        var committedBefore = store.Acknowledged.Keys.ToHashSet();

        // Ingestion keeps going while the backup runs.
        using var stop = new CancellationTokenSource();
        var ingest = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await store.WriteAsync(200, DateTimeOffset.UtcNow, 512, CancellationToken.None);
                await Task.Delay(5);
            }
        });

        var target = Path.Combine(_directory, "backup.db");
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await BackupCommand.RunAsync(target, null, path, force: false, output, error, CancellationToken.None);
        await stop.CancelAsync();
        await ingest;
        Assert.True(exit == 0, error.ToString());
        Assert.Contains("quick_check ok", output.ToString(), StringComparison.Ordinal);

        Assert.Equal("ok", StoreUnderLoad.IntegrityCheck(target));
        var inBackup = StoreUnderLoad.StoredTags(target);
        var missing = committedBefore.Except(inBackup).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} rows committed before the backup are missing from it");
        Assert.Empty(Directory.GetFiles(_directory, ".backup.db.partial-*"));

        // An existing file is refused without --force and kept as it was; with --force it is replaced.
        var sizeBefore = new FileInfo(target).Length;
        var refused = await BackupCommand.RunAsync(target, null, path, force: false, new StringWriter(), error = new StringWriter(), CancellationToken.None);
        Assert.Equal(2, refused);
        Assert.Contains("--force", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(sizeBefore, new FileInfo(target).Length);

        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(2));
        var forced = await BackupCommand.RunAsync(target, null, path, force: true, new StringWriter(), error = new StringWriter(), CancellationToken.None);
        Assert.True(forced == 0, error.ToString());
        Assert.True(StoreUnderLoad.StoredTags(target).Count >= store.Acknowledged.Count);
    }

    [Fact]
    public async Task Missing_database_or_config_is_exit_code_2()
    {
        var error = new StringWriter();
        Assert.Equal(2, await BackupCommand.RunAsync(Path.Combine(_directory, "b.db"), null, Path.Combine(_directory, "none.db"), false, new StringWriter(), error, CancellationToken.None));
        Assert.Contains("no database", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await BackupCommand.RunAsync(Path.Combine(_directory, "b.db"), Path.Combine(_directory, "missing.json"), null, false, new StringWriter(), new StringWriter(), CancellationToken.None));
        Assert.False(File.Exists(Path.Combine(_directory, "b.db")));
    }
}
