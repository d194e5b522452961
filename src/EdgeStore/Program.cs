using System.CommandLine;
using System.Reflection;
using EdgeStore.Commands;

namespace EdgeStore;

internal static class Program
{
    /// <summary>The version `edgestore --version` prints and the daemon logs at start.</summary>
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Program).Assembly.GetName().Version?.ToString(3)
        ?? "0.0.0";

    /// <summary>Every command and option of `edgestore`; the man page is checked against this tree.</summary>
    public static RootCommand CreateCommandLine() =>
        new("EdgeStore: stores MQTT telemetry in SQLite on IoT gateways, acknowledging only after commit.")
        {
            RunCommand.Create(),
            QueryCommand.Create(),
            TopicsCommand.Create(),
            QuarantineCommand.Create(),
            SimulateCommand.Create(),
            BackupCommand.Create(),
            SafeModeCommand.Create(),
            StatusCommand.Create(),
            ConfigShowCommand.Create(),
        };

    public static async Task<int> Main(string[] args)
    {
        var parseResult = CreateCommandLine().Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var line in CommandLineErrors.Describe(parseResult))
            {
                await Console.Error.WriteLineAsync(line);
            }

            return ExitCodes.InvalidInput;
        }

        // The daemon's signals belong to the host's lifetime (SIGTERM starts the clean stop; see docs/SYSTEMD.md); the command
        // line library must not install its own handler, which would force an exit after a short timeout.
        return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
