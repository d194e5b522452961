namespace EdgeStore.Storage;

/// <summary>How much a commit survives (docs/ARCHITECTURE.md, C1): the SQLite <c>synchronous</c> setting of every connection.</summary>
public enum DurabilityLevel
{
    /// <summary><c>synchronous=NORMAL</c>: survives a process crash; the last commits may roll back on power loss.</summary>
    Normal,

    /// <summary><c>synchronous=FULL</c>: survives power loss; group commit keeps it fast.</summary>
    Full,
}
