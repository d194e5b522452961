using System.Globalization;
using System.Text;
using EdgeStore.StateFiles;

namespace EdgeStore.Safety;

/// <summary>
/// The file that says "EdgeStore is running" in the state directory. Created at start, removed on
/// a clean exit; found at start, it means the previous run ended without cleaning up (kill -9,
/// SIGBUS, power loss). The marker is a plain file, never one of SQLite's.
/// </summary>
internal static class RunMarker
{
    public const string FileName = "edgestore.running";

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>Writes the marker (process id and start time) and returns whether an older one was there.</summary>
    public static bool Create(string stateDirectory, DateTimeOffset startedAt)
    {
        Directory.CreateDirectory(stateDirectory);
        var path = PathIn(stateDirectory);
        var existed = File.Exists(path);
        // Synced: the marker exists to be found after a power cut.
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"pid={Environment.ProcessId}\nstarted={startedAt:O}\n")), syncToDisk: true);
        return existed;
    }

    public static void Remove(string stateDirectory)
    {
        var path = PathIn(stateDirectory);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
