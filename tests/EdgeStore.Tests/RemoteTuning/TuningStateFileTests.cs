using System.Text.Json.Nodes;
using EdgeStore.RemoteTuning;

namespace EdgeStore.Tests.RemoteTuning;

public sealed class TuningStateFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("edgestore-tuning-file-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void The_state_round_trips_and_lives_next_to_the_database()
    {
        var file = TuningStateFile.ForDatabase(Path.Combine(_directory.FullName, "sub", "edgestore.db"));
        Assert.Equal(Path.Combine(_directory.FullName, "sub", TuningStateFile.FileName), file.Path);
        var overrides = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal)
        {
            ["ingest.maxBatchRows"] = JsonValue.Create(500L),
            ["maintenance.windows"] = JsonNode.Parse("""[{"start":"03:00","duration":"1h","days":"Sat"}]""")!,
        };
        var appliedAt = new DateTimeOffset(2026, 11, 21, 22, 0, 0, TimeSpan.Zero);
        var state = new TuningState(12, new AppliedDocument(12, overrides, appliedAt, false), new AppliedDocument(9, new SortedDictionary<string, JsonNode>(), appliedAt, true), "rolled_back", "the broker was unreachable");

        file.Write(state);
        var read = file.Read();

        Assert.Equal((12L, "rolled_back", "the broker was unreachable"), (read.HighestVersion, read.Status, read.Reason));
        Assert.Equal(500, read.Applied!.Overrides["ingest.maxBatchRows"].GetValue<long>());
        Assert.Equal("""[{"start":"03:00","duration":"1h","days":"Sat"}]""", read.Applied.Overrides["maintenance.windows"].ToJsonString());
        Assert.Equal(appliedAt, read.Applied.AppliedAt);
        Assert.True(read.LastGood!.Confirmed);
        Assert.Equal(9, read.LastGood.Version);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file.Path)!, "*.tmp"));
    }

    [Fact]
    public void A_missing_file_is_the_empty_state_and_a_damaged_one_is_refused()
    {
        var file = new TuningStateFile(Path.Combine(_directory.FullName, TuningStateFile.FileName));
        Assert.Same(TuningState.Empty, file.Read());

        File.WriteAllText(file.Path, """{"format": 99}""");
        Assert.Throws<InvalidDataException>(() => file.Read());
        File.WriteAllText(file.Path, "[]");
        Assert.Throws<InvalidDataException>(() => file.Read());
    }
}
