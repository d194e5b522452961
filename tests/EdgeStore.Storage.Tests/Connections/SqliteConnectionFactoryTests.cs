using EdgeStore.Storage.Tests.Support;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Tests.Connections;

public sealed class SqliteConnectionFactoryTests : IAsyncLifetime
{
    private const long Mib = 1024 * 1024;
    private readonly TestStorage _storage = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _storage.DisposeAsync();

    [Fact]
    public async Task Writer_reads_back_the_configured_profile()
    {
        var database = await _storage.OpenAsync(Configure);

        using var writer = database.Connections.OpenWriter();
        var profile = SqliteConnectionFactory.ReadProfile(writer);

        AssertConfigured(profile);
        Assert.Equal(profile, database.Connections.LastWriterProfile);
    }

    [Fact]
    public async Task A_fresh_reader_reads_back_the_configured_profile()
    {
        var database = await _storage.OpenAsync(Configure);

        using var reader = database.Connections.OpenReader();

        AssertConfigured(SqliteConnectionFactory.ReadProfile(reader));
        AssertConfigured(database.Connections.LastReaderProfile!);
    }

    [Fact]
    public async Task A_pooled_reader_that_kept_other_pragmas_gets_the_profile_again()
    {
        var database = await _storage.OpenAsync(Configure);
        nint nativeHandle;
        using (var reader = database.Connections.OpenReader())
        {
            nativeHandle = reader.Handle!.DangerousGetHandle();
            foreach (var pragma in new[] { "mmap_size=0", "synchronous=OFF", "cache_size=-100", "journal_size_limit=1", "wal_autocheckpoint=7", "temp_store=FILE", "foreign_keys=OFF" })
            {
                SqliteConnectionFactory.Execute(reader, "PRAGMA " + pragma);
            }

            Assert.Equal(0, SqliteConnectionFactory.ExecuteInt64(reader, "PRAGMA mmap_size"));
        }

        using var again = database.Connections.OpenReader();

        // Same native handle from the pool: it kept the tampered values, the factory applied the profile anyway.
        Assert.Equal(nativeHandle, again.Handle!.DangerousGetHandle());
        AssertConfigured(SqliteConnectionFactory.ReadProfile(again));
    }

    [Fact]
    public async Task Durability_normal_is_synchronous_normal()
    {
        var database = await _storage.OpenAsync();

        using var writer = database.Connections.OpenWriter();
        using var reader = database.Connections.OpenReader();

        Assert.Equal(PragmaProfile.SynchronousNormal, SqliteConnectionFactory.ReadProfile(writer).Synchronous);
        Assert.Equal(PragmaProfile.SynchronousNormal, SqliteConnectionFactory.ReadProfile(reader).Synchronous);
        Assert.Equal(-8192, SqliteConnectionFactory.ReadProfile(writer).CacheSize);
        Assert.Equal(256 * Mib, SqliteConnectionFactory.ReadProfile(writer).MmapSizeBytes);
    }

    [Fact]
    public async Task A_value_the_engine_capped_is_logged_once_however_often_it_is_applied()
    {
        var database = await _storage.OpenAsync(o => o.MmapSizeBytes = 3L * 1024 * Mib);

        for (var i = 0; i < 5; i++)
        {
            using var reader = database.Connections.OpenReader();
            Assert.Equal(SqliteConnectionFactory.EngineMmapCeilingBytes, SqliteConnectionFactory.ReadProfile(reader).MmapSizeBytes);
        }

        var capped = _storage.Logs.WithEventId(3003);
        var single = Assert.Single(capped);
        Assert.Contains("mmap_size", single.Message, StringComparison.Ordinal);
        Assert.Contains("2147418112", single.Message, StringComparison.Ordinal);
        Assert.Contains("3221225472", single.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyMmapSize_reads_back_the_new_value()
    {
        var database = await _storage.OpenAsync();
        using var writer = database.Connections.OpenWriter();

        Assert.Equal(4 * Mib, database.Connections.ApplyMmapSize(writer, 4 * Mib));
        Assert.Equal(4 * Mib, SqliteConnectionFactory.ExecuteInt64(writer, "PRAGMA mmap_size"));
        Assert.Contains(database.Connections.LiveConnectionMappings(), m => m.Role == SqliteConnectionRole.Writer && m.MmapSizeBytes == 4 * Mib);
    }

    [Fact]
    public async Task OpenReadOnly_has_no_mapping_cannot_write_and_reads_a_closed_database()
    {
        await using (var database = await TelemetryDatabase.OpenAsync(_storage.Options(), _storage.Logs, TimeProvider.System, CancellationToken.None))
        {
            await TestStorage.WriteAllAsync(database.CreateWriter(), [TestStorage.Record("sensors/a", "21.5", seq: 1, deviceTs: 5)]);
        }

        // Everything is closed: SQLite checkpointed and removed the -wal; a read-only open must still work.
        Assert.False(File.Exists(_storage.DatabasePath + "-wal"));
        using var connection = SqliteConnectionFactory.OpenReadOnly(_storage.DatabasePath);

        Assert.Equal(0, SqliteConnectionFactory.ExecuteInt64(connection, "PRAGMA mmap_size"));
        Assert.Equal(1, SqliteConnectionFactory.ExecuteInt64(connection, "SELECT count(*) FROM messages"));
        Assert.Throws<SqliteException>(() => SqliteConnectionFactory.Execute(connection, "DELETE FROM messages"));
        Assert.Throws<FileNotFoundException>(() => SqliteConnectionFactory.OpenReadOnly(Path.Combine(_storage.Directory, "missing.db")));
    }

    private static void Configure(StorageOptions options)
    {
        options.Durability = DurabilityLevel.Full;
        options.BusyTimeout = TimeSpan.FromSeconds(3);
        options.CacheSizeBytes = 4 * Mib;
        options.MmapSizeBytes = 64 * Mib;
        options.JournalSizeLimitBytes = 32 * Mib;
        options.WalAutocheckpointPages = 500;
    }

    private static void AssertConfigured(PragmaProfile profile)
    {
        Assert.Equal("wal", profile.JournalMode);
        Assert.Equal(PragmaProfile.SynchronousFull, profile.Synchronous);
        Assert.Equal(3000, profile.BusyTimeoutMs);
        Assert.Equal(-4096, profile.CacheSize);
        Assert.Equal(4 * Mib, profile.CacheSizeBytes);
        Assert.Equal(64 * Mib, profile.MmapSizeBytes);
        Assert.Equal(32 * Mib, profile.JournalSizeLimitBytes);
        Assert.Equal(500, profile.WalAutocheckpointPages);
        Assert.Equal(PragmaProfile.TempStoreMemory, profile.TempStore);
        Assert.True(profile.ForeignKeys);
    }
}
