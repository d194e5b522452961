using System.Globalization;

namespace EdgeStore.Systemd;

/// <summary>
/// What the service manager told this process through its environment. Detection uses the variables
/// systemd sets for every service (NOTIFY_SOCKET, INVOCATION_ID, SYSTEMD_EXEC_PID) and never the parent's
/// name: under ProtectProc=invisible the parent's /proc entry cannot be read.
/// </summary>
internal sealed class SystemdEnvironment
{
    public const string NotifySocketVariable = "NOTIFY_SOCKET";

    public SystemdEnvironment(Func<string, string?> variables, int processId)
    {
        NotifySocket = NonEmpty(variables(NotifySocketVariable));
        IsServiceManaged = NotifySocket is not null
            || NonEmpty(variables("INVOCATION_ID")) is not null
            || NonEmpty(variables("SYSTEMD_EXEC_PID")) is not null;
        IsJournalAttached = IsServiceManaged || NonEmpty(variables("JOURNAL_STREAM")) is not null;
        WatchdogInterval = ReadWatchdogInterval(variables, processId);
    }

    /// <summary>The notify socket path ('@' prefix = abstract namespace), or null.</summary>
    public string? NotifySocket { get; }

    /// <summary>True when a systemd service manager started this process.</summary>
    public bool IsServiceManaged { get; }

    /// <summary>True when stdout/stderr go to journald, so log lines should carry syslog priority prefixes.</summary>
    public bool IsJournalAttached { get; }

    /// <summary>WatchdogSec= of the unit when it applies to this process (WATCHDOG_PID absent or ours), else null.</summary>
    public TimeSpan? WatchdogInterval { get; }

    public static SystemdEnvironment FromProcess() =>
        new(Environment.GetEnvironmentVariable, Environment.ProcessId);

    private static TimeSpan? ReadWatchdogInterval(Func<string, string?> variables, int processId)
    {
        if (!ulong.TryParse(variables("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var microseconds)
            || microseconds == 0
            || microseconds > (ulong)(TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMicrosecond))
        {
            return null;
        }

        // WATCHDOG_PID names the process the watchdog is meant for; a child that inherited it must stay quiet.
        var watchdogPid = NonEmpty(variables("WATCHDOG_PID"));
        if (watchdogPid is not null
            && (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != processId))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds((long)microseconds);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
