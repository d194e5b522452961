namespace EdgeStore.Status;

/// <summary>
/// Where `status.json` lives: next to the database, in the state directory, so `edgestore status` finds it by the
/// same rule the daemon uses for the database (and systemd's StateDirectory= owns both).
/// </summary>
internal static class StatusFile
{
    public const string FileName = "status.json";

    /// <summary>After this long without an update the daemon is taken to be gone (it rewrites the file every few seconds).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(30);

    public static string PathFor(string databasePath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(databasePath)) ?? ".", FileName);
}
