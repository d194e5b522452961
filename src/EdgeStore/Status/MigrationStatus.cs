namespace EdgeStore.Status;

/// <summary>
/// The schema migration step under way at start-up, as status.json shows it: the step takes the file from
/// <see cref="FromVersion"/> to <see cref="ToVersion"/>, <see cref="Step"/> says what it does, <see cref="Rows"/> is the
/// number of stored messages it works through. Its start time, not an elapsed figure, is kept, so every write of the
/// status file shows the time so far even while SQLite is inside one long sort and reports nothing.
/// </summary>
internal sealed record MigrationStatus(int FromVersion, int ToVersion, string Step, long Rows, DateTimeOffset StepStartedAt);
