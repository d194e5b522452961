using EdgeStore.Configuration;

namespace EdgeStore.Tests.Memory;

/// <summary>The Memory section through the daemon's own settings loader: known keys, environment overrides, named errors.</summary>
public sealed class MemorySettingsLoadingTests
{
    private static readonly MachineFacts Gateway = new("gw-7", 4096L * 1024 * 1024);

    private static SettingsLoadResult Load(params (string Name, string Value)[] environment) =>
        new SettingsLoader(environment.ToDictionary(e => e.Name, e => (string?)e.Value), Gateway, "/nonexistent/edgestore.json").Load(null);

    [Fact]
    public void Environment_overrides_memory_settings()
    {
        var result = Load(("EDGESTORE__MEMORY__POLLINTERVALMS", "500"), ("EDGESTORE__MEMORY__ELEVATEDMMAPPERCENT", "25"));

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(500, result.Settings!.Memory.PollIntervalMs);
        Assert.Equal(25, result.Settings.Memory.ElevatedMmapPercent);
        Assert.Equal(30, result.Settings.Memory.StepDownHoldSeconds);
    }

    [Fact]
    public void Bad_memory_values_are_named_like_every_other_setting()
    {
        var result = Load(("EDGESTORE__MEMORY__POLLINTERVALMS", "5"), ("EDGESTORE__MEMORY__CRITICALSOMESTALLPERCENT", "1"));

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Path == "Memory:PollIntervalMs" && e.Reason == "must be 100..60000 ms (got 5)");
        Assert.Contains(result.Errors, e => e.Path == "Memory:CriticalSomeStallPercent" && e.Reason.StartsWith("must be at least Memory:ElevatedSomeStallPercent", StringComparison.Ordinal));
    }

    [Fact]
    public void Unknown_memory_key_is_refused()
    {
        var result = Load(("EDGESTORE__MEMORY__POLLINTERVAL", "5"));

        Assert.Contains(result.Errors, e => e.Path == "Memory:POLLINTERVAL" || e.Path.Equals("Memory:PollInterval", StringComparison.OrdinalIgnoreCase));
    }
}
