using System.Text;
using System.Text.Json.Nodes;
using EdgeStore.Configuration;
using EdgeStore.RemoteTuning;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStore.Tests.RemoteTuning;

public sealed class RemoteTunerTests : IDisposable
{
    private const long CapBytes = 512L * 1024 * 1024;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("edgestore-tuner-");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
    private readonly RecordingTarget _writer = new("writer");
    private readonly RecordingTarget _logging = new("logging");
    private readonly RemoteTuningSettings _settings = new() { ProbationSeconds = 60, RollbackAfterSeconds = 10 };
    private readonly TunedValues _baseline = TunedValues.FromSettings(new EdgeStoreSettings
    {
        Storage = new StorageSettings { Path = "/unused/edgestore.db", MmapSizeMiB = 256, CacheSizeMiB = 8 },
    });

    private TuningStateFile File => new(Path.Combine(_directory.FullName, TuningStateFile.FileName));

    public void Dispose() => _directory.Delete(recursive: true);

    private RemoteTuner NewTuner()
    {
        var tuner = new RemoteTuner(_baseline, File, [_writer, _logging], () => CapBytes, _settings, _clock, NullLogger<RemoteTuner>.Instance);
        tuner.LoadAtStart();
        return tuner;
    }

    private static Task<ReportedDocument?> Send(RemoteTuner tuner, string json) =>
        tuner.HandleDesiredAsync(Encoding.UTF8.GetBytes(json), CancellationToken.None);

    [Fact]
    public async Task A_valid_document_is_applied_live_persisted_and_reported()
    {
        var tuner = NewTuner();

        var report = await Send(tuner, """{"version": 5, "config": {"ingest": {"maxBatchRows": 123}, "logging": {"level": "Debug"}}}""");

        Assert.NotNull(report);
        Assert.Equal("applied", report.Status);
        Assert.Equal(5, report.Version);
        Assert.Equal(123, tuner.Effective.MaxBatchRows);
        Assert.Equal(123, _writer.Current!.MaxBatchRows);
        Assert.Equal("Debug", _logging.Current!.LogLevel);
        var json = report.ToJson();
        Assert.Equal(123, (int)json["effective"]!["ingest"]!["maxBatchRows"]!);
        Assert.Equal(8, (int)json["effective"]!["storage"]!["cacheSizeMiB"]!);
        Assert.Empty(json["errors"]!.AsArray());
        var persisted = File.Read();
        Assert.Equal(5, persisted.AppliedVersion);
        Assert.Equal(123, persisted.Applied!.Overrides["ingest.maxBatchRows"].GetValue<long>());
        Assert.False(persisted.Applied.Confirmed);
    }

    [Fact]
    public async Task An_invalid_document_changes_nothing()
    {
        var tuner = NewTuner();
        await Send(tuner, """{"version": 1, "config": {"ingest": {"maxBatchRows": 100}}}""");
        var before = tuner.Effective;
        var calls = _writer.Applied.Count;

        var report = await Send(tuner, """{"version": 2, "config": {"ingest": {"maxBatchRows": 200, "maxBatchLatencyMs": -1}}}""");

        Assert.Equal("rejected", report!.Status);
        Assert.Equal(2, report.Version);
        Assert.Equal(1, report.AppliedVersion);
        Assert.Contains(report.Errors, e => e is { Path: "ingest.maxBatchLatencyMs", Code: "out_of_range" });
        Assert.Same(before, tuner.Effective);
        Assert.Equal(calls, _writer.Applied.Count);
        Assert.Equal(100, File.Read().Applied!.Overrides["ingest.maxBatchRows"].GetValue<long>());
    }

    [Fact]
    public async Task Redeliveries_are_ignored_and_older_versions_are_stale()
    {
        var tuner = NewTuner();
        await Send(tuner, """{"version": 10, "config": {"ingest": {"maxBatchRows": 100}}}""");

        Assert.Null(await Send(tuner, """{"version": 10, "config": {"ingest": {"maxBatchRows": 100}}}"""));
        var stale = await Send(tuner, """{"version": 9, "config": {"ingest": {"maxBatchRows": 999}}}""");

        Assert.Equal("rejected", stale!.Status);
        Assert.Contains(stale.Errors, e => e.Code == "stale_version");
        Assert.Equal(100, tuner.Effective.MaxBatchRows);
        Assert.Single(_writer.Applied);
    }

    [Fact]
    public async Task The_memory_map_is_clamped_to_the_cap_and_the_clamp_is_reported()
    {
        var tuner = NewTuner();

        var report = await Send(tuner, """{"version": 1, "config": {"storage": {"mmapSizeMiB": 100000}}}""");

        Assert.Equal("applied", report!.Status);
        Assert.Equal(512, tuner.Effective.MmapSizeMiB);
        var clamp = Assert.Single(report.Clamped);
        Assert.Equal(("storage.mmapSizeMiB", 100000L, 512L), (clamp.Path, clamp.Requested, clamp.Applied));
    }

    [Fact]
    public async Task Partial_documents_merge_and_null_returns_to_the_local_value()
    {
        var tuner = NewTuner();
        await Send(tuner, """{"version": 1, "config": {"ingest": {"maxBatchRows": 100}}}""");
        await Send(tuner, """{"version": 2, "config": {"storage": {"cacheSizeMiB": 16}}}""");
        Assert.Equal((100, 16), (tuner.Effective.MaxBatchRows, tuner.Effective.CacheSizeMiB));

        await Send(tuner, """{"version": 3, "config": {"ingest": {"maxBatchRows": null}}}""");

        Assert.Equal((_baseline.MaxBatchRows, 16), (tuner.Effective.MaxBatchRows, tuner.Effective.CacheSizeMiB));
        Assert.Equal(["storage.cacheSizeMiB"], File.Read().Applied!.Overrides.Keys);
    }

    [Fact]
    public async Task A_target_that_refuses_undoes_the_change_everywhere()
    {
        var tuner = NewTuner();
        _logging.Refuse = v => v.LogLevel == "Trace";

        var report = await Send(tuner, """{"version": 4, "config": {"ingest": {"maxBatchRows": 77}, "logging": {"level": "Trace"}}}""");

        Assert.Equal("rejected", report!.Status);
        Assert.Contains(report.Errors, e => e is { Path: "logging", Code: "apply_failed" });
        Assert.Equal(_baseline.MaxBatchRows, tuner.Effective.MaxBatchRows);
        Assert.Equal(_baseline.MaxBatchRows, _writer.Current!.MaxBatchRows); // 77, then undone
        Assert.Equal(2, _writer.Applied.Count);
    }

    [Fact]
    public async Task A_change_that_stays_unhealthy_is_rolled_back_to_the_last_confirmed_document()
    {
        var tuner = NewTuner();
        await Send(tuner, """{"version": 1, "config": {"ingest": {"maxBatchRows": 100}}}""");
        for (var i = 0; i < 61; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Null(await tuner.WatchAsync(healthy: true, "n/a", CancellationToken.None));
        }

        Assert.True(File.Read().Applied!.Confirmed);
        await Send(tuner, """{"version": 2, "config": {"ingest": {"maxBatchRows": 5}}}""");
        Assert.Equal(5, _writer.Current!.MaxBatchRows);

        ReportedDocument? rolledBack = null;
        for (var i = 0; i < 11 && rolledBack is null; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            rolledBack = await tuner.WatchAsync(healthy: false, "broker unreachable", CancellationToken.None);
        }

        Assert.NotNull(rolledBack);
        Assert.Equal("rolled_back", rolledBack.Status);
        Assert.Equal(2, rolledBack.Version);
        Assert.Equal(1, rolledBack.AppliedVersion);
        Assert.Contains("broker unreachable", rolledBack.Reason, StringComparison.Ordinal);
        Assert.Equal(100, tuner.Effective.MaxBatchRows);
        Assert.Equal(100, _writer.Current.MaxBatchRows);
        var persisted = File.Read();
        Assert.Equal(("rolled_back", 1L, 2L), (persisted.Status, persisted.AppliedVersion, persisted.HighestVersion));

        // The retained desired document that caused it comes back on every reconnect: it is not tried again.
        Assert.Null(await Send(tuner, """{"version": 2, "config": {"ingest": {"maxBatchRows": 5}}}"""));
        Assert.Equal(100, tuner.Effective.MaxBatchRows);
    }

    [Fact]
    public async Task A_short_outage_during_probation_does_not_roll_back()
    {
        var tuner = NewTuner();
        await Send(tuner, """{"version": 1, "config": {"ingest": {"maxBatchRows": 100}}}""");

        for (var i = 0; i < 30; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            Assert.Null(await tuner.WatchAsync(healthy: i % 10 != 9 && i % 10 < 5, "broker unreachable", CancellationToken.None));
        }

        Assert.Equal(100, tuner.Effective.MaxBatchRows);
    }

    [Fact]
    public async Task Without_a_confirmed_document_a_rollback_returns_to_the_local_configuration()
    {
        var tuner = NewTuner();
        await Send(tuner, """{"version": 1, "config": {"ingest": {"maxBatchRows": 100}}}""");

        ReportedDocument? rolledBack = null;
        for (var i = 0; i < 12 && rolledBack is null; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            rolledBack = await tuner.WatchAsync(healthy: false, "no commits", CancellationToken.None);
        }

        Assert.Equal("rolled_back", rolledBack!.Status);
        Assert.Equal(0, rolledBack.AppliedVersion);
        Assert.Equal(_baseline.MaxBatchRows, tuner.Effective.MaxBatchRows);
    }

    [Fact]
    public async Task A_restart_restores_the_persisted_values_and_resumes_probation()
    {
        var first = NewTuner();
        await Send(first, """{"version": 8, "config": {"ingest": {"maxBatchRows": 321}, "storage": {"mmapSizeMiB": 64}}}""");

        var second = new RemoteTuner(_baseline, File, [_writer], () => CapBytes, _settings, _clock, NullLogger<RemoteTuner>.Instance);
        var effective = second.LoadAtStart();

        Assert.Equal((321, 64), (effective.MaxBatchRows, effective.MmapSizeMiB));
        Assert.True(second.InProbation);
        Assert.Null(await Send(second, """{"version": 8, "config": {"ingest": {"maxBatchRows": 321}}}"""));
        Assert.Equal("applied", second.CurrentReport().Status);
        Assert.Equal(8, second.CurrentReport().AppliedVersion);
    }

    [Fact]
    public void A_damaged_state_file_is_set_aside_and_the_local_configuration_applies()
    {
        System.IO.File.WriteAllText(File.Path, "{ not json");

        var tuner = NewTuner();

        Assert.True(tuner.Effective.SameAs(_baseline));
        Assert.False(System.IO.File.Exists(File.Path));
        Assert.Single(_directory.GetFiles(TuningStateFile.FileName + ".corrupt-*"));
    }

    [Fact]
    public void An_override_that_no_longer_passes_the_table_is_dropped_at_start()
    {
        var overrides = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal)
        {
            ["ingest.maxBatchRows"] = JsonValue.Create(0L),
            ["ingest.maxBatchLatencyMs"] = JsonValue.Create(40L),
            ["storage.path"] = JsonValue.Create("/elsewhere.db"),
        };
        File.Write(new TuningState(3, new AppliedDocument(3, overrides, _clock.GetUtcNow(), true), null, "applied", null));

        var tuner = NewTuner();

        Assert.Equal(_baseline.MaxBatchRows, tuner.Effective.MaxBatchRows);
        Assert.Equal(40, tuner.Effective.MaxBatchLatencyMs);
    }
}
