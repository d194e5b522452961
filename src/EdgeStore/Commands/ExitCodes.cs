namespace EdgeStore.Commands;

/// <summary>The exit codes of every `edgestore` command; operators' scripts and the unit's restart policy rely on them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A fatal error at run time (the database cannot be opened, the writer failed, the broker is unreachable).</summary>
    public const int Failure = 1;

    /// <summary>A bad configuration value or command-line argument: nothing was started.</summary>
    public const int InvalidInput = 2;

    /// <summary>`edgestore status`: no live daemon (no status file, one that says "stopped", or its PID is gone).</summary>
    public const int NotRunning = 3;

    /// <summary>`edgestore run`: another EdgeStore already holds this database's lock; nothing was touched.</summary>
    public const int DatabaseInUse = 4;

    /// <summary>
    /// `edgestore status`: the daemon runs but is not doing its whole job: starting or stopping, broker disconnected,
    /// ingest stalled, a subscription refused, storage-safe mode, a growing backlog, a storage alarm, or no status
    /// update for longer than it should take.
    /// </summary>
    public const int Degraded = 5;
}
