namespace EdgeStore.Storage.Maintenance;

/// <summary>wal_checkpoint modes. TRUNCATE shrinks the -wal file and is for maintenance windows only (docs/ARCHITECTURE.md, C3).</summary>
public enum CheckpointMode
{
    Passive,
    Full,
    Restart,
    Truncate,
}
