using System.Globalization;
using EdgeStore.Testing;
using Xunit.Abstractions;

namespace EdgeStore.Tests.Commands;

/// <summary>One run of the built <c>edgestore</c> executable as an operator types it: its exit code, stdout and stderr lines.</summary>
internal sealed record CommandRun(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Error)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    public static async Task<CommandRun> StartAsync(
        ITestOutputHelper log, string workingDirectory, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        await using var process = await EdgeStoreProcess.RunAsync(arguments, Patience, environment, workingDirectory);
        process.WriteOutputOnDispose = false;
        var exitCode = await process.WaitForExitAsync(Patience);
        var lines = process.LinesAfter(0);
        var output = lines.Where(l => !l.StartsWith("err: ", StringComparison.Ordinal)).ToList();
        var error = lines.Where(l => l.StartsWith("err: ", StringComparison.Ordinal)).Select(l => l["err: ".Length..]).ToList();
        log.WriteLine($"edgestore {string.Join(' ', arguments)} -> {exitCode.ToString(CultureInfo.InvariantCulture)}");
        foreach (var line in lines)
        {
            log.WriteLine("  " + line);
        }

        return new CommandRun(exitCode, output, error);
    }

    /// <summary>The one stderr line of a refused command (fails when there are more, or none).</summary>
    public string SingleError => Assert.Single(Error);
}
