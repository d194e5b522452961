using EdgeStore.Configuration;

namespace EdgeStore.Tests.Configuration;

/// <summary>
/// Settings as the daemon gets them: through <see cref="SettingsLoader"/>, from `Section:Key` values given as
/// EDGESTORE__SECTION__KEY variables, on a stated machine (1 GiB, no cgroup limit), without a config file.
/// </summary>
internal static class LoadedSettings
{
    public static readonly MachineFacts Machine = new("test", 1024L * 1024 * 1024);

    public static SettingsLoadResult Load(params (string Key, string Value)[] values) =>
        new SettingsLoader(
            values.ToDictionary(v => SettingsLoader.EnvironmentPrefix + v.Key.Replace(":", "__", StringComparison.Ordinal), v => (string?)v.Value, StringComparer.Ordinal),
            Machine,
            "/nonexistent/edgestore.json").Load(null);

    /// <summary>The settings; fails the test with every error when they are not valid.</summary>
    public static EdgeStoreSettings Valid(params (string Key, string Value)[] values)
    {
        var result = Load(values);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        return result.Settings!;
    }

    /// <summary>The errors as printed ("Path: reason"); fails the test when the settings are valid.</summary>
    public static List<string> Errors(params (string Key, string Value)[] values)
    {
        var result = Load(values);
        Assert.False(result.IsValid);
        return result.Errors.Select(e => e.ToString()).ToList();
    }
}
