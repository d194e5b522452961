namespace EdgeStore.Tests.Configuration;

/// <summary>A temporary directory for configuration files written by a test, removed afterwards.</summary>
internal sealed class ConfigurationFiles : IDisposable
{
    public ConfigurationFiles()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("edgestore-config-").FullName;
    }

    public string Directory { get; }

    /// <summary>A path in the directory where no file exists.</summary>
    public string Missing => Path.Combine(Directory, "missing.json");

    public string Write(string json, string name = "edgestore.json")
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, json);
        return path;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
