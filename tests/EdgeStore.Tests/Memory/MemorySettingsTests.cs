using EdgeStore.Configuration;
using EdgeStore.Memory;
using EdgeStore.Tests.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStore.Tests.Memory;

public sealed class MemorySettingsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        Assert.True(LoadedSettings.Load().IsValid);
    }

    [Theory]
    [InlineData("PollIntervalMs", "50", "Memory:PollIntervalMs: must be 100..60000 ms (got 50)")]
    [InlineData("ElevatedMmapPercent", "100", "Memory:ElevatedMmapPercent: must be 1..99 percent (got 100)")]
    [InlineData("CriticalSomeStallPercent", "5", "Memory:CriticalSomeStallPercent: must be at least Memory:ElevatedSomeStallPercent (10) (got 5)")]
    [InlineData("CriticalAvailablePercent", "20", "Memory:CriticalAvailablePercent: must be at most Memory:ElevatedAvailablePercent (15) (got 20)")]
    [InlineData("FilesRoot", "relative/dir", "Memory:FilesRoot: must be an absolute path (got 'relative/dir')")]
    public void Bad_values_name_the_field(string key, string value, string message)
    {
        Assert.Equal([message], LoadedSettings.Errors(("Memory:" + key, value)));
    }

    [Fact]
    public void Registration_uses_the_settings_and_hosts_monitor_and_governor()
    {
        using var tree = FixtureTree.CopyOf("v2-only");
        using var provider = Build(new MemorySettings { FilesRoot = tree.Root, CalmPeriodSeconds = 5 });

        Assert.Equal(5, provider.GetRequiredService<IOptions<MemorySettings>>().Value.CalmPeriodSeconds);
        Assert.Equal(128L * 1024 * 1024, provider.GetRequiredService<MmapCap>().CapBytes);
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Contains(provider.GetRequiredService<MemoryPressureMonitor>(), hosted);
        Assert.Contains(provider.GetRequiredService<MmapGovernor>(), hosted);
    }

    [Fact]
    public void Disabled_registers_no_hosted_services()
    {
        using var provider = Build(new MemorySettings { Enabled = false });

        Assert.Empty(provider.GetServices<IHostedService>());
        Assert.NotNull(provider.GetRequiredService<MmapGovernor>());
    }

    [Fact]
    public void A_registered_effective_memory_is_the_one_the_cap_is_computed_from()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.ClearProviders());
        services.AddSingleton(new EffectiveMemory(8L << 30, 512L << 20));
        services.AddMemoryGovernance(new MemorySettings { Enabled = false });
        using var provider = services.BuildServiceProvider();

        Assert.Equal(128L << 20, provider.GetRequiredService<MmapCap>().CapBytes);
    }

    private static ServiceProvider Build(MemorySettings settings)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.ClearProviders());
        services.AddMemoryGovernance(settings);
        return services.BuildServiceProvider();
    }
}
