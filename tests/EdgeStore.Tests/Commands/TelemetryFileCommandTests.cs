using EdgeStore.Storage;
using Xunit.Abstractions;

namespace EdgeStore.Tests.Commands;

/// <summary>
/// The frame of the command process tests: a temporary directory with a real database (<see cref="TelemetryFile"/>)
/// holding <see cref="Records"/>, made before each test and deleted after, and the built executable run there.
/// </summary>
public abstract class TelemetryFileCommandTests : IAsyncLifetime
{
    private readonly ITestOutputHelper _log;

    private protected TelemetryFileCommandTests(ITestOutputHelper log, string name)
    {
        _log = log;
        WorkDirectory = Directory.CreateTempSubdirectory($"edgestore-{name}-").FullName;
    }

    private protected string WorkDirectory { get; }

    private protected string DatabasePath => Path.Combine(WorkDirectory, "edgestore.db");

    /// <summary>What the database holds when each test starts.</summary>
    private protected abstract IEnumerable<IngestRecord> Records { get; }

    public Task InitializeAsync() => TelemetryFile.CreateAsync(DatabasePath, Records);

    public Task DisposeAsync()
    {
        Directory.Delete(WorkDirectory, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>`edgestore ARGUMENTS` with the test's directory as the working directory.</summary>
    private protected Task<CommandRun> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null) =>
        CommandRun.StartAsync(_log, WorkDirectory, arguments, environment);
}
