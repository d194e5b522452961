namespace EdgeStore.RemoteTuning;

/// <summary>
/// What remote tuning persists next to the database, and re-applies at start before ingestion begins.
/// <see cref="HighestVersion"/> is the highest version ever processed (applied, rejected or rolled back): a retained
/// desired document that was rolled back or rejected is not tried again after a reconnect or a restart.
/// </summary>
internal sealed record TuningState(long HighestVersion, AppliedDocument? Applied, AppliedDocument? LastGood, string Status, string? Reason)
{
    public const string StatusApplied = "applied";
    public const string StatusRejected = "rejected";
    public const string StatusRolledBack = "rolled_back";
    public const string StatusNone = "none";

    public static TuningState Empty { get; } = new(0, null, null, StatusNone, null);

    /// <summary>The version of the overrides in force (0: none, the local configuration alone).</summary>
    public long AppliedVersion => Applied?.Version ?? 0;
}
