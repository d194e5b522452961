namespace EdgeStore.Testing;

/// <summary>The checkout the tests run from (the folder holding EdgeStore.sln), for tests of shipped files.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    /// <summary><paramref name="relative"/> (such as "config/edgestore.json") inside the checkout.</summary>
    public static string Of(string relative) => System.IO.Path.Combine(Root.Value, relative);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "EdgeStore.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("EdgeStore.sln not found above " + AppContext.BaseDirectory);
    }
}
