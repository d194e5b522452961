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
        try
        {
            return await parseResult.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The last resort: commands answer an operator's problems themselves; what reaches here is one line too,
            // with the stack only on request, since a stack trace at an operator's terminal helps no one there.
            var command = parseResult.CommandResult.Command.Name;
            var plain = e is IOException or UnauthorizedAccessException ? PlainError.For(e, ExceptionPath(e) ?? ".") : null;
            await Console.Error.WriteLineAsync(plain is not null
                ? $"edgestore {command}: {plain}"
                : $"edgestore {command}: unexpected error: {e.GetType().Name}: {e.Message} (EDGESTORE_TRACE=1 prints the stack trace)");
            if (Environment.GetEnvironmentVariable("EDGESTORE_TRACE") == "1")
            {
                await Console.Error.WriteLineAsync(e.ToString());
            }

            return ExitCodes.Failure;
        }
    }

    // .NET puts the path in the message of its file exceptions ("Access to the path '/x' is denied."): find it.
    private static string? ExceptionPath(Exception exception)
    {
        var message = exception.Message;
        var start = message.IndexOf('\'');
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start + 1 ? message[(start + 1)..end] : null;
    }
}
