using EdgeStore.Configuration;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Configuration;

/// <summary>The example file the package ships as /etc/edgestore/edgestore.json must always load cleanly.</summary>
public sealed class ShippedConfigurationTests
{
    [Fact]
    public void The_example_configuration_file_is_valid()
    {
        var file = Path.Combine(RepositoryRoot.Path, "config", "edgestore.json");
        var loader = new SettingsLoader(new Dictionary<string, string?>(), new MachineFacts("gw", null), "/nonexistent/edgestore.json");

        var result = loader.Load(file);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(1883, result.Settings!.Mqtt.Port);
        Assert.Equal("sensors/#", Assert.Single(result.Settings.Mqtt.Subscriptions).Filter);

        // One gateway layout: the service and an operator's shell (no $STATE_DIRECTORY there) find the same database.
        Assert.Equal("/var/lib/edgestore/edgestore.db", result.Settings.Storage.Path);
    }
}
