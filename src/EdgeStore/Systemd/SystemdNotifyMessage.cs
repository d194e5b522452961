using System.Globalization;

namespace EdgeStore.Systemd;

/// <summary>The sd_notify state lines EdgeStore sends (see sd_notify(3)).</summary>
internal static class SystemdNotifyMessage
{
    /// <summary>Start-up finished: the database is open and migrated and ingestion has started.</summary>
    public const string Ready = "READY=1";

    /// <summary>Shutdown began: ingestion stops, the final batch is committed and acknowledged.</summary>
    public const string Stopping = "STOPPING=1";

    /// <summary>Keep-alive, sent only while the ingest loop and the writer make progress.</summary>
    public const string Watchdog = "WATCHDOG=1";

    /// <summary>A one-line status; newlines would start a new assignment, so they become spaces.</summary>
    public static string Status(string line) =>
        "STATUS=" + line.Replace('\r', ' ').Replace('\n', ' ');

    /// <summary>Asks for <paramref name="extension"/> more time in the current start or stop phase.</summary>
    public static string ExtendTimeout(TimeSpan extension) =>
        "EXTEND_TIMEOUT_USEC=" + ((long)extension.TotalMicroseconds).ToString(CultureInfo.InvariantCulture);
}
