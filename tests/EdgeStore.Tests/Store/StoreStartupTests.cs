using EdgeStore.Commands;
using EdgeStore.Configuration;
using EdgeStore.Status;
using EdgeStore.Ingest;
using EdgeStore.RemoteTuning;
using EdgeStore.Storage;
using EdgeStore.Store;
using EdgeStore.Tests.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Tests.Store;

/// <summary>
/// The store opens in one place: the start-up service opens and migrates the database once, before ingestion starts,
/// and the daemon's hosted services start in the one order RunCommand lists.
/// </summary>
public sealed class StoreStartupTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-store-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_daemon_starts_remote_tuning_then_the_store_then_ingestion()
    {
        using var host = RunCommand.CreateHostBuilder(Settings()).Build();

        var hosted = host.Services.GetServices<IHostedService>().Select(s => s.GetType()).ToList();

        Assert.Equal([typeof(RemoteTuningStartup), typeof(StoreStartup), typeof(IngestService)], hosted.Take(3));
    }

    [Fact]
    public async Task The_start_up_service_opens_and_migrates_the_store_once()
    {
        await using var store = new TelemetryStore();
        using (var host = RunCommand.CreateHostBuilder(Settings()).Build())
        {
            var opened = host.Services.GetRequiredService<TelemetryStore>();
            Assert.Null(opened.Database);

            await host.Services.GetRequiredService<StoreStartup>().StartAsync(CancellationToken.None);

            Assert.NotNull(opened.Database);
            Assert.NotNull(opened.Writer);
            Assert.Equal(TelemetryDatabase.LatestSchemaVersion, opened.Database.SchemaVersion);
            Assert.Equal("opening", host.Services.GetRequiredService<DaemonStatus>().Phase);
            await Assert.ThrowsAsync<InvalidOperationException>(
                () => opened.OpenAsync(opened.Database.Options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None));
        }

        // Disposing the host closed the store: the file can be opened again by the next run.
        var database = await store.OpenAsync(Options(), NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        Assert.Equal(TelemetryDatabase.LatestSchemaVersion, database.SchemaVersion);
    }

    private string DatabasePath => Path.Combine(_directory, "edgestore.db");

    private EdgeStoreSettings Settings() =>
        LoadedSettings.Valid(("Storage:Path", DatabasePath), ("Memory:Enabled", "false"), ("Logging:Level", "Warning"));

    private StorageOptions Options()
    {
        var settings = Settings();
        return IngestOptions.ForStorage(settings.Storage, settings.Ingest);
    }
}
