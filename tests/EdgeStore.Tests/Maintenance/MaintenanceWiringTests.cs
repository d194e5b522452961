using EdgeStore.Status;
using EdgeStore.Maintenance;
using EdgeStore.Safety;
using EdgeStore.Tests.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeStore.Tests.Maintenance;

public sealed class MaintenanceWiringTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-wiring-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private IHost BuildHost()
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<DaemonStatus>();
        var settings = LoadedSettings.Valid(("Storage:Path", Path.Combine(_directory, "edgestore.db")), ("SafeMode:UncleanExits", "2"));
        builder.Services.AddSafetyNets(settings);
        builder.Services.AddMaintenance(settings);
        return builder.Build();
    }

    [Fact]
    public async Task One_call_registers_everything_the_marker_follows_clean_and_unclean_exits_and_status_shows_safe_mode()
    {
        var marker = RunMarker.PathIn(_directory);
        using (var host = BuildHost())
        {
            Assert.NotNull(host.Services.GetRequiredService<DiskGuard>());
            Assert.NotNull(host.Services.GetRequiredService<MaintenanceAttachment>());
            Assert.NotNull(host.Services.GetRequiredService<MaintenanceScheduler>());
            await host.StartAsync();
            Assert.True(File.Exists(marker));
            Assert.True(host.Services.GetRequiredService<DiskGuard>().AcksAllowed);
            await host.StopAsync();
        }

        Assert.False(File.Exists(marker));

        // Two runs that "die" (started, never stopped): the third start is in storage-safe mode.
        for (var i = 0; i < 2; i++)
        {
            var dying = BuildHost();
            await dying.StartAsync();
            Assert.False(dying.Services.GetRequiredService<DaemonStatus>().SafeMode);
        }

        using var third = BuildHost();
        await third.StartAsync();
        var status = third.Services.GetRequiredService<DaemonStatus>();
        Assert.True(status.SafeMode);
        Assert.Contains("storage-safe mode", status.ToStatusLine(), StringComparison.Ordinal);
        Assert.Equal(0, third.Services.GetRequiredService<MmapRestoreLimit>().CurrentLimitBytes);
        Assert.Equal(0, third.Services.GetRequiredService<StorageSafeMode>().CapMmap(256L << 20));
        await third.StopAsync();
    }
}
