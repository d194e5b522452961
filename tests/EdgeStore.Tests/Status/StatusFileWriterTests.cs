using System.Text.Json;
using EdgeStore.Configuration;
using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.Safety;
using EdgeStore.Status;
using EdgeStore.Tests.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Status;

/// <summary>The status file as the real services fill it: fields, the final "stopped" and all-or-nothing replacement.</summary>
public sealed class StatusFileWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-status-").FullName;

    private string DatabasePath => Path.Combine(_directory, "edgestore.db");

    private string StatusPath => Path.Combine(_directory, StatusFile.FileName);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_hosted_writer_publishes_the_services_numbers_and_ends_with_phase_stopped()
    {
        await File.WriteAllBytesAsync(DatabasePath, new byte[8192]);
        await File.WriteAllBytesAsync(DatabasePath + "-wal", new byte[4096]);
        using var host = BuildHost();
        var status = host.Services.GetRequiredService<DaemonStatus>();
        status.Phase = "running";
        status.BrokerConnected = true;
        status.Backlog = 7;
        status.MmapLimitBytes = 64L * 1024 * 1024;
        status.AddStored(rows: 120, quarantined: 3, acknowledged: 118);
        host.Services.GetRequiredService<MaintenanceAlarms>().WalOverLimit = true;

        await host.StartAsync();
        var running = await WaitForAsync(root => root.GetProperty("phase").GetString() == "running");
        Assert.Equal(Environment.ProcessId, running.GetProperty("pid").GetInt32());
        Assert.True(running.GetProperty("brokerConnected").GetBoolean());
        Assert.Equal(7, running.GetProperty("backlog").GetInt64());
        Assert.Equal(120, running.GetProperty("rowsStored").GetInt64());
        Assert.Equal(118, running.GetProperty("acknowledged").GetInt64());
        Assert.Equal(3, running.GetProperty("quarantined").GetInt64());
        Assert.True(running.GetProperty("updatedAt").GetDateTimeOffset() >= running.GetProperty("startedAt").GetDateTimeOffset());

        var memory = running.GetProperty("memory");
        Assert.Equal(64L * 1024 * 1024, memory.GetProperty("mmapLimitBytes").GetInt64());
        Assert.Equal(host.Services.GetRequiredService<MmapCap>().CapBytes, memory.GetProperty("mmapCapBytes").GetInt64());
        Assert.True(memory.GetProperty("mmapCapBytes").GetInt64() > 0);
        Assert.Equal("Normal", memory.GetProperty("pressureLevel").GetString());
        Assert.Equal(0, memory.GetProperty("connectionsRecycled").GetInt64());
        Assert.Equal(JsonValueKind.Number, memory.GetProperty("bytesReleased").ValueKind);
        Assert.Equal(JsonValueKind.Number, memory.GetProperty("cacheSizeBytes").ValueKind);
        Assert.True(memory.GetProperty("managedAllocatedBytes").GetInt64() > 0);
        Assert.True(memory.GetProperty("managedCommittedBytes").GetInt64() >= memory.GetProperty("managedHeapBytes").GetInt64());
        Assert.Equal(3, memory.GetProperty("gcCollections").GetArrayLength());
        Assert.True(memory.GetProperty("gcGen0MaxBudgetBytes").GetInt64() >= 0);

        Assert.False(running.GetProperty("safeMode").GetProperty("active").GetBoolean());
        var maintenance = running.GetProperty("maintenance");
        Assert.Equal(JsonValueKind.Null, maintenance.GetProperty("lastResult").ValueKind);
        var alarm = Assert.Single(maintenance.GetProperty("alarms").EnumerateArray());
        Assert.StartsWith("WAL over its limit", alarm.GetString(), StringComparison.Ordinal);
        Assert.True(maintenance.GetProperty("acksAllowed").GetBoolean());

        var database = running.GetProperty("database");
        Assert.Equal(DatabasePath, database.GetProperty("path").GetString());
        Assert.Equal(8192, database.GetProperty("sizeBytes").GetInt64());
        Assert.Equal(4096, database.GetProperty("walSizeBytes").GetInt64());

        // Later facts show up in a later write.
        status.AddStored(rows: 5, quarantined: 0, acknowledged: 5);
        await WaitForAsync(root => root.GetProperty("rowsStored").GetInt64() == 125);

        await host.StopAsync();
        var stopped = ReadStatus();
        Assert.Equal("stopped", stopped.GetProperty("phase").GetString());
        Assert.Equal(125, stopped.GetProperty("rowsStored").GetInt64());
        Assert.Equal([StatusPath], Directory.GetFiles(_directory, "*status*"));
    }

    [Fact]
    public async Task The_file_shows_the_start_up_phases_and_the_migration_before_any_service_has_started()
    {
        var opening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<DaemonStatus>();
        builder.Services.AddHostedService(_ => new StartThatWaits(opening.Task)); // the store's place: started first
        builder.Services.AddStatusFile(DatabasePath, TimeSpan.FromMilliseconds(100));
        using var host = builder.Build();
        var status = host.Services.GetRequiredService<DaemonStatus>();

        var start = host.StartAsync();
        await WaitForAsync(root => root.GetProperty("phase").GetString() == "starting");
        status.Phase = "opening";
        await WaitForAsync(root => root.GetProperty("phase").GetString() == "opening");
        status.Migration = new MigrationStatus(1, 2, "series/time and quarantine time indexes", 2_000_000, DateTimeOffset.UtcNow.AddSeconds(-3));
        status.Phase = "migrating";
        var migrating = await WaitForAsync(root => root.GetProperty("phase").GetString() == "migrating");

        Assert.False(start.IsCompleted);
        var migration = migrating.GetProperty("migration");
        Assert.Equal(1, migration.GetProperty("fromVersion").GetInt32());
        Assert.Equal(2, migration.GetProperty("toVersion").GetInt32());
        Assert.Equal("series/time and quarantine time indexes", migration.GetProperty("step").GetString());
        Assert.Equal(2_000_000, migration.GetProperty("rows").GetInt64());
        Assert.True(migration.GetProperty("elapsedSeconds").GetDouble() >= 3);

        status.Migration = null;
        opening.SetResult();
        await start;
        await host.StopAsync();
        Assert.Equal(JsonValueKind.Null, ReadStatus().GetProperty("migration").ValueKind);
    }

    [Fact]
    public async Task A_broker_connection_change_rewrites_the_file_at_once()
    {
        // An interval far beyond the test: only the change itself can rewrite the file.
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(new DaemonStatus { Phase = "running" });
        builder.Services.AddStatusFile(DatabasePath, TimeSpan.FromHours(1));
        using var host = builder.Build();
        var status = host.Services.GetRequiredService<DaemonStatus>();
        await host.StartAsync();
        Assert.False(ReadStatus().GetProperty("brokerConnected").GetBoolean());
        Assert.Contains("broker disconnected", ReadStatus().GetProperty("problems")[0].GetString(), StringComparison.Ordinal);

        status.BrokerConnected = true;
        Assert.True(ReadStatus().GetProperty("brokerConnected").GetBoolean());
        Assert.Equal(0, ReadStatus().GetProperty("problems").GetArrayLength());

        status.BrokerConnected = false;
        Assert.False(ReadStatus().GetProperty("brokerConnected").GetBoolean());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_reader_racing_the_writer_always_sees_a_complete_document()
    {
        using var host = BuildHost();
        var writer = host.Services.GetRequiredService<StatusFileWriter>();
        var status = host.Services.GetRequiredService<DaemonStatus>();
        writer.WriteNow();
        using var done = new CancellationTokenSource();
        var reads = 0;
        var reader = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                // Every read must parse: a torn or empty file would throw here and fail the test.
                using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(StatusPath));
                Assert.Equal(JsonValueKind.Number, document.RootElement.GetProperty("rowsStored").ValueKind);
                Interlocked.Increment(ref reads);
            }
        });

        // At least 300 replacements, and on until the reader has raced 50 of them (bounded: 20 000 writes).
        var writes = 0;
        while (writes < 300 || (Volatile.Read(ref reads) < 50 && writes < 20_000))
        {
            writes++;
            status.AddStored(rows: 1, quarantined: 0, acknowledged: 1);
            writer.WriteNow();
        }

        await done.CancelAsync();
        await reader;
        Assert.True(reads >= 50, $"the reader raced only {reads} of {writes} writes");
        Assert.Equal(writes, ReadStatus().GetProperty("rowsStored").GetInt64());
        Assert.Equal([StatusPath], Directory.GetFiles(_directory, "*status*"));
    }

    private IHost BuildHost()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<DaemonStatus>();
        builder.Services.AddMemoryGovernance(new MemorySettings { Enabled = false });
        var settings = LoadedSettings.Valid(("Storage:Path", DatabasePath));
        builder.Services.AddSafetyNets(settings);
        builder.Services.AddMaintenance(settings);
        builder.Services.AddStatusFile(DatabasePath, TimeSpan.FromMilliseconds(100));
        return builder.Build();
    }

    private JsonElement ReadStatus()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(StatusPath));
        return document.RootElement.Clone();
    }

    private async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> condition)
    {
        // The writer replaces the file atomically: once it exists, every read sees a whole document.
        var text = await Wait.ForAsync(
            () => File.Exists(StatusPath) ? File.ReadAllText(StatusPath) : null,
            text => text is not null && condition(Parse(text)),
            TimeSpan.FromSeconds(30),
            "status.json matching");
        return Parse(text!);
    }

    private static JsonElement Parse(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    /// <summary>A hosted service whose start lasts until the test lets it finish, as opening a large database does.</summary>
    private sealed class StartThatWaits(Task finished) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => finished.WaitAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
