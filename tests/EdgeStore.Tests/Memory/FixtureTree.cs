namespace EdgeStore.Tests.Memory;

/// <summary>A writable copy of a fixture tree (or an empty tree) in a temp directory, removed on dispose.</summary>
internal sealed class FixtureTree : IDisposable
{
    private FixtureTree(string root) => Root = root;

    public string Root { get; }

    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Memory", "Fixtures", name);

    public static FixtureTree CopyOf(string fixtureName)
    {
        var tree = Empty();
        var source = FixturePath(fixtureName);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(tree.Root, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return tree;
    }

    public static FixtureTree Empty() =>
        new(Directory.CreateTempSubdirectory("edgestore-memtree-").FullName);

    public void Write(string systemPath, string text)
    {
        var path = Path.Combine(Root, systemPath.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public void Delete(string systemPath) => File.Delete(Path.Combine(Root, systemPath.TrimStart('/')));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
