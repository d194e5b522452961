namespace EdgeStore.Systemd;

/// <summary>Sends sd_notify state lines to the service manager.</summary>
internal interface ISystemdNotifier
{
    /// <summary>True when the process was given a notify socket (NOTIFY_SOCKET).</summary>
    bool IsEnabled { get; }

    /// <summary>
    /// Sends one datagram holding <paramref name="state"/> (one or more <c>KEY=VALUE</c> lines).
    /// Returns false when there is no socket or the manager did not take the datagram; the daemon keeps
    /// running either way, because a lost notification must never stop ingestion.
    /// </summary>
    bool Notify(string state);
}
