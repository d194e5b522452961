using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeStore.StateFiles;

namespace EdgeStore.Safety;

/// <summary>
/// The small JSON file next to the database that remembers unclean exits and when storage-safe mode
/// began. It is not a database file, so it is written with ordinary file I/O, atomically
/// (temp file, fsync, rename): a crash mid-write leaves the old file or the new one, never half.
/// </summary>
internal sealed class UncleanExitLog
{
    public const string FileName = "edgestore.unclean-exits.json";

    /// <summary>Only the newest entries are kept; enough for any sane threshold.</summary>
    private const int MaxEntries = 100;

    [JsonPropertyName("uncleanExits")]
    public List<DateTimeOffset> UncleanExits { get; set; } = [];

    [JsonPropertyName("safeModeSince")]
    public DateTimeOffset? SafeModeSince { get; set; }

    public static string PathIn(string stateDirectory) => Path.Combine(stateDirectory, FileName);

    /// <summary>Reads the log; a missing or unreadable file counts as an empty one (and a corrupt one is reported to the caller).</summary>
    public static UncleanExitLog Load(string path, out string? problem)
    {
        problem = null;
        if (!File.Exists(path))
        {
            return new UncleanExitLog();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), EdgeStoreJsonContext.Default.UncleanExitLog) ?? new UncleanExitLog();
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            problem = ex.Message;
            return new UncleanExitLog();
        }
    }

    public void Save(string path)
    {
        if (UncleanExits.Count > MaxEntries)
        {
            UncleanExits.RemoveRange(0, UncleanExits.Count - MaxEntries);
        }

        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, this, EdgeStoreJsonContext.Default.UncleanExitLog), syncToDisk: true);
    }
}
