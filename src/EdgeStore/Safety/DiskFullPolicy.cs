namespace EdgeStore.Safety;

/// <summary>What EdgeStore does when the database's filesystem runs low on space.</summary>
internal enum DiskFullPolicy
{
    /// <summary>Stop acknowledging: the broker keeps the backlog; nothing is lost; resume when space returns.</summary>
    StopAcks,

    /// <summary>Delete the oldest stored messages first so the database reuses its own pages; stop acks only if that is not enough.</summary>
    DeleteOldest,
}
