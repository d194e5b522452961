using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeStore.StateFiles;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// The persisted <see cref="TuningState"/>: a small JSON file next to the database (`edgestore.tuning.json` in the
/// state directory). Written through <see cref="AtomicFile"/> synced to disk, so a power cut leaves
/// either the old or the new document, never half of one. A file that cannot be read is set aside (renamed
/// `.corrupt`) and the local configuration applies alone: a damaged tuning file must never stop EdgeStore.
/// </summary>
internal sealed class TuningStateFile
{
    public const string FileName = "edgestore.tuning.json";
    private const int Format = 1;
    private const int MaxFileBytes = 1024 * 1024;

    public TuningStateFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    public string Path { get; }

    /// <summary>The file for a database: same directory, fixed name.</summary>
    public static TuningStateFile ForDatabase(string databasePath) =>
        new(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(databasePath)) ?? ".", FileName));

    /// <summary>Reads the state; a missing file is <see cref="TuningState.Empty"/>. Throws <see cref="InvalidDataException"/> for a damaged file.</summary>
    public TuningState Read()
    {
        if (!File.Exists(Path))
        {
            return TuningState.Empty;
        }

        var info = new FileInfo(Path);
        if (info.Length > MaxFileBytes)
        {
            throw new InvalidDataException($"{Path} is {info.Length} bytes, more than a tuning state can be");
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllBytes(Path)) as JsonObject ?? throw new InvalidDataException($"{Path} does not hold a JSON object");
            if ((int?)root["format"] != Format)
            {
                throw new InvalidDataException($"{Path} has format {root["format"]?.ToJsonString() ?? "none"}, expected {Format}");
            }

            return new TuningState(
                (long?)root["highestVersion"] ?? 0,
                ReadDocument(root["applied"]),
                ReadDocument(root["lastGood"]),
                (string?)root["status"] ?? TuningState.StatusNone,
                (string?)root["reason"]);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            throw new InvalidDataException($"{Path} is damaged: {e.Message}", e);
        }
    }

    /// <summary>Renames a damaged file aside so it can be inspected and is not read again; returns the new name.</summary>
    public string SetAside(DateTimeOffset now)
    {
        var aside = $"{Path}.corrupt-{now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
        File.Move(Path, aside, overwrite: true);
        return aside;
    }

    public void Write(TuningState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var root = new JsonObject
        {
            ["format"] = Format,
            ["highestVersion"] = state.HighestVersion,
            ["applied"] = WriteDocument(state.Applied),
            ["lastGood"] = WriteDocument(state.LastGood),
            ["status"] = state.Status,
            ["reason"] = state.Reason,
        };
        var bytes = ControlJson.ToUtf8(root, indented: true);

        AtomicFile.WriteAllBytes(Path, bytes, syncToDisk: true);
    }

    private static AppliedDocument? ReadDocument(JsonNode? node)
    {
        if (node is not JsonObject document)
        {
            return null;
        }

        var overrides = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        if (document["config"] is JsonObject config)
        {
            foreach (var (path, value) in config)
            {
                if (value is not null)
                {
                    overrides[path] = value.DeepClone();
                }
            }
        }

        return new AppliedDocument(
            (long?)document["version"] ?? 0,
            overrides,
            DateTimeOffset.Parse((string?)document["appliedAt"] ?? "1970-01-01T00:00:00Z", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            (bool?)document["confirmed"] ?? false);
    }

    private static JsonObject? WriteDocument(AppliedDocument? document)
    {
        if (document is null)
        {
            return null;
        }

        var config = new JsonObject();
        foreach (var (path, value) in document.Overrides)
        {
            config[path] = value.DeepClone();
        }

        return new JsonObject
        {
            ["version"] = document.Version,
            ["config"] = config,
            ["appliedAt"] = ControlJson.Time(document.AppliedAt),
            ["confirmed"] = document.Confirmed,
        };
    }
}
