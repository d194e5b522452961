using EdgeStore.Configuration;

namespace EdgeStore.Tests.Configuration;

/// <summary>The example file the package ships as /etc/edgestore/edgestore.json must always load cleanly.</summary>
public sealed class ShippedConfigurationTests
{
    [Fact]
    public void The_example_configuration_file_is_valid()
    {
        var file = Path.Combine(RepositoryRoot(), "config", "edgestore.json");
        var loader = new SettingsLoader(new Dictionary<string, string?>(), new MachineFacts("gw", null), "/nonexistent/edgestore.json");

        var result = loader.Load(file);

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(1883, result.Settings!.Mqtt.Port);
        Assert.Equal("sensors/#", Assert.Single(result.Settings.Mqtt.Subscriptions).Filter);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EdgeStore.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("EdgeStore.sln not found above " + AppContext.BaseDirectory);
    }
}
