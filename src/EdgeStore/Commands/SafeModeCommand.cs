using System.CommandLine;
using System.Text.Json;
using EdgeStore.Configuration;
using EdgeStore.Safety;
using EdgeStore.Status;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore safe-mode show|clear [--config FILE] [--db PATH]`: shows the unclean-exit log that
/// drives storage-safe mode, or clears it (the next start runs with the normal mmap limit again).
/// Exit codes: 0 done, 2 bad arguments.
/// </summary>
internal static class SafeModeCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Configuration file to take Storage:Path from (default /etc/edgestore/edgestore.json).", HelpName = "FILE" };
        var database = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the configuration).", HelpName = "PATH" };
        var show = new Command("show", "Print the unclean-exit log and whether storage-safe mode is on") { config, database };
        show.SetAction((parseResult, ct) => RunAsync(clear: false, parseResult.GetValue(config), parseResult.GetValue(database), Console.Out, Console.Error));
        var clear = new Command("clear", "Forget the unclean exits; the next start leaves storage-safe mode") { config, database };
        clear.SetAction((parseResult, ct) => RunAsync(clear: true, parseResult.GetValue(config), parseResult.GetValue(database), Console.Out, Console.Error));
        return new Command("safe-mode", "Show or clear storage-safe mode (mmap 0 after repeated unclean exits)") { show, clear };
    }

    public static async Task<int> RunAsync(bool clear, string? configFile, string? databaseOption, TextWriter output, TextWriter error)
    {
        if (CommandDatabase.Resolve(SettingsLoader.ForCurrentProcess(), configFile, databaseOption, error) is not { } databasePath)
        {
            return ExitCodes.InvalidInput;
        }

        var stateDirectory = StorageSettings.StateDirectoryOf(databasePath);

        var logPath = UncleanExitLog.PathIn(stateDirectory);
        var daemon = RunningDaemonSafeMode(databasePath);
        if (clear)
        {
            var cleared = StorageSafeMode.Clear(stateDirectory);
            await output.WriteLineAsync(cleared
                ? $"cleared {logPath}; the next start runs with the normal mmap limit"
                : $"nothing to clear: {logPath} does not exist");
            if (daemon is { Active: true })
            {
                await output.WriteLineAsync($"the running daemon (PID {daemon.Value.Pid}) stays in storage-safe mode until it restarts: systemctl restart edgestore");
            }

            return ExitCodes.Ok;
        }

        var log = UncleanExitLog.Load(logPath, out var problem);
        await output.WriteLineAsync(problem is not null
            ? $"{logPath}: unreadable ({problem})"
            : $"{logPath}: {log.UncleanExits.Count} unclean exits recorded; the next start {(log.SafeModeSince is { } since ? $"stays in storage-safe mode (on since {since:O})" : "runs with the normal mmap limit")}");

        // The running daemon decided at its start; the log may have been cleared since. Say both, so this and
        // `edgestore status` never disagree.
        await output.WriteLineAsync(daemon switch
        {
            { Active: true } d => $"running daemon (PID {d.Pid}): storage-safe mode ON (mmap off) until it restarts",
            { Active: false } d => $"running daemon (PID {d.Pid}): storage-safe mode off",
            null => "no running daemon",
        });
        return ExitCodes.Ok;
    }

    /// <summary>The live daemon's own safe-mode state from its status.json, or null when none runs.</summary>
    private static (int Pid, bool Active)? RunningDaemonSafeMode(string databasePath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(StatusFile.PathFor(databasePath)));
            var root = document.RootElement;
            if (root.TryGetProperty("phase", out var phase) && phase.GetString() == "stopped"
                || !root.TryGetProperty("pid", out var pidElement) || !pidElement.TryGetInt32(out var pid) || !ProcessLiveness.IsEdgeStore(pid))
            {
                return null;
            }

            var active = root.TryGetProperty("safeMode", out var safeMode) && safeMode.TryGetProperty("active", out var flag) && flag.ValueKind == JsonValueKind.True;
            return (pid, active);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }
}
