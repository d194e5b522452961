namespace EdgeStore.Maintenance;

/// <summary>
/// What the schedule says at one instant: whether a window is open and until when (overlapping or
/// touching windows count as one), and when the next window opens.
/// </summary>
internal sealed record ScheduleSnapshot(bool IsOpen, DateTimeOffset? OpenUntil, DateTimeOffset? OpenedAt, DateTimeOffset? NextStart);
