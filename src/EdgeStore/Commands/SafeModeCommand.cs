using System.CommandLine;
using EdgeStore.Configuration;
using EdgeStore.Safety;

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
        var config = new Option<string?>("--config") { Description = "Config file (default /etc/edgestore/edgestore.json)" };
        var database = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the config)" };
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
        if (clear)
        {
            var cleared = StorageSafeMode.Clear(stateDirectory);
            await output.WriteLineAsync(cleared
                ? $"cleared {logPath}; the next start runs with the normal mmap limit"
                : $"nothing to clear: {logPath} does not exist");
            return 0;
        }

        var log = UncleanExitLog.Load(logPath, out var problem);
        await output.WriteLineAsync(problem is not null
            ? $"{logPath}: unreadable ({problem})"
            : $"{logPath}: {log.UncleanExits.Count} unclean exits recorded; storage-safe mode {(log.SafeModeSince is { } since ? $"on since {since:O}" : "off")}");
        return 0;
    }
}
