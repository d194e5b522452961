using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace EdgeStore.Systemd;

/// <summary>
/// The sd_notify states EdgeStore adds to the package's <see cref="ServiceState.Ready"/> and
/// <see cref="ServiceState.Stopping"/> (see sd_notify(3)).
/// </summary>
internal static class SystemdNotifyMessage
{
    /// <summary>Keep-alive, sent only while the ingest loop and the writer make progress.</summary>
    public static readonly ServiceState Watchdog = new("WATCHDOG=1");

    /// <summary>A one-line status; newlines would start a new assignment, so they become spaces.</summary>
    public static ServiceState Status(string line) =>
        new("STATUS=" + line.Replace('\r', ' ').Replace('\n', ' '));

    /// <summary>Asks for <paramref name="extension"/> more time in the current start or stop phase.</summary>
    public static ServiceState ExtendTimeout(TimeSpan extension) =>
        new("EXTEND_TIMEOUT_USEC=" + ((long)extension.TotalMicroseconds).ToString(CultureInfo.InvariantCulture));
}
