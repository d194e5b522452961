namespace EdgeStore.Storage;

/// <summary>
/// Where a schema migration stands, reported when a step starts and every few seconds while it runs: the step takes the
/// file from <see cref="FromVersion"/> to <see cref="ToVersion"/>, <see cref="Step"/> says what it does in an operator's
/// words, <see cref="Rows"/> is the number of stored messages it works through, <see cref="Elapsed"/> the time since the
/// step began.
/// </summary>
public sealed record MigrationProgress(int FromVersion, int ToVersion, string Step, long Rows, TimeSpan Elapsed);
