namespace EdgeStore.Commands;

/// <summary>The exit codes of every `edgestore` command; operators' scripts and the unit's restart policy rely on them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A fatal error at run time (the database cannot be opened, the writer failed, the broker is unreachable).</summary>
    public const int Failure = 1;

    /// <summary>A bad configuration value or command-line argument: nothing was started.</summary>
    public const int InvalidInput = 2;

    /// <summary>`edgestore status`: no live daemon (no status file, or one that is stale or says "stopped").</summary>
    public const int NotRunning = 3;

    /// <summary>`edgestore run`: another EdgeStore already holds this database's lock; nothing was touched.</summary>
    public const int DatabaseInUse = 4;
}
