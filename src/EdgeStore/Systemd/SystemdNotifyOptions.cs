namespace EdgeStore.Systemd;

/// <summary>Cadences of the sd_notify conversation; the defaults suit the shipped unit (WatchdogSec=30).</summary>
internal sealed class SystemdNotifyOptions
{
    /// <summary>Shortest heartbeat age treated as stale: the loops beat at least once a second, so 3 s is three missed beats.</summary>
    public static readonly TimeSpan MinimumWatchdogStaleAfter = TimeSpan.FromSeconds(3);

    /// <summary>How often the status line is compared with the last one sent; STATUS= goes out only when it changed.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often EXTEND_TIMEOUT_USEC is sent while a start (migration) or stop (final commit) is under way.</summary>
    public TimeSpan TimeoutExtensionInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The extension each EXTEND_TIMEOUT_USEC asks for; longer than the interval so one late tick does not fail the unit.</summary>
    public TimeSpan TimeoutExtension { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Longest a start is extended. A start still running after this is probably hung, and systemd's own
    /// timeout should end it; without a cap a hung migration would be extended forever.
    /// </summary>
    public TimeSpan MaxStartExtension { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Longest a stop is extended, for the same reason as <see cref="MaxStartExtension"/>.</summary>
    public TimeSpan MaxStopExtension { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>WatchdogSec= of the unit (from WATCHDOG_USEC), or null when the watchdog is off.</summary>
    public TimeSpan? WatchdogInterval { get; set; }

    /// <summary>WATCHDOG=1 cadence: half the watchdog interval, as sd_watchdog_enabled(3) advises.</summary>
    public TimeSpan? WatchdogFeedInterval => WatchdogInterval / 2;

    /// <summary>
    /// A heartbeat older than this stops the keep-alives: half the watchdog interval, at least
    /// <see cref="MinimumWatchdogStaleAfter"/>. A loop stuck for longer than that therefore gets the unit
    /// restarted by systemd within about 1.5 watchdog intervals.
    /// </summary>
    public TimeSpan WatchdogStaleAfter =>
        WatchdogInterval is { } interval && interval / 2 > MinimumWatchdogStaleAfter ? interval / 2 : MinimumWatchdogStaleAfter;
}
