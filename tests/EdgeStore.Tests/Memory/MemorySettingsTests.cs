using EdgeStore.Configuration;
using EdgeStore.Memory;
using Microsoft.Extensions.Configuration;
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
        Assert.True(new MemorySettingsValidator().Validate(null, new MemorySettings()).Succeeded);
    }

    [Theory]
    [InlineData("PollIntervalMs", "50", "Memory:PollIntervalMs must be between 100 and 60000 ms (was 50)")]
    [InlineData("ElevatedMmapPercent", "100", "Memory:ElevatedMmapPercent must be between 1 and 99 percent (was 100)")]
    [InlineData("CriticalSomeStallPercent", "5", "Memory:CriticalSomeStallPercent must be at least ElevatedSomeStallPercent (10) (was 5)")]
    [InlineData("CriticalAvailablePercent", "20", "Memory:CriticalAvailablePercent must be at most ElevatedAvailablePercent (15) (was 20)")]
    [InlineData("FilesRoot", "relative/dir", "Memory:FilesRoot must be an absolute path (was 'relative/dir')")]
    public void Bad_values_name_the_field(string key, string value, string message)
    {
        using var provider = Build(new Dictionary<string, string?> { ["Memory:" + key] = value });

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MemorySettings>>().Value);

        Assert.Contains(message, ex.Failures);
    }

    [Fact]
    public void Registration_binds_the_section_and_hosts_monitor_and_governor()
    {
        using var tree = FixtureTree.CopyOf("v2-only");
        using var provider = Build(new Dictionary<string, string?> { ["Memory:FilesRoot"] = tree.Root, ["Memory:CalmPeriodSeconds"] = "5" });

        Assert.Equal(5, provider.GetRequiredService<IOptions<MemorySettings>>().Value.CalmPeriodSeconds);
        Assert.Equal(128L * 1024 * 1024, provider.GetRequiredService<MmapCap>().CapBytes);
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Contains(provider.GetRequiredService<MemoryPressureMonitor>(), hosted);
        Assert.Contains(provider.GetRequiredService<MmapGovernor>(), hosted);
    }

    [Fact]
    public void Disabled_registers_no_hosted_services()
    {
        using var provider = Build(new Dictionary<string, string?> { ["Memory:Enabled"] = "false" });

        Assert.Empty(provider.GetServices<IHostedService>());
        Assert.NotNull(provider.GetRequiredService<MmapGovernor>());
    }

    [Fact]
    public void Registration_from_a_settings_instance_validates_it()
    {
        var services = new ServiceCollection();
        services.AddLogging(b => b.ClearProviders());
        services.AddMemoryGovernance(new MemorySettings { PollIntervalMs = 5 });
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MemorySettings>>().Value);

        Assert.Contains("Memory:PollIntervalMs must be between 100 and 60000 ms (was 5)", ex.Failures);
    }

    private static ServiceProvider Build(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(b => b.ClearProviders());
        services.AddMemoryGovernance(configuration);
        return services.BuildServiceProvider();
    }
}
