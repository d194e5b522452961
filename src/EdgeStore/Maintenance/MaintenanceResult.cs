namespace EdgeStore.Maintenance;

/// <summary>What one maintenance pass did; kept as "last maintenance result" for status and `cmd/maintenance`.</summary>
internal sealed record MaintenanceResult
{
    public required string Trigger { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>True when every step ran; false when the window closed first (the rest resumes next window) or a step failed.</summary>
    public bool Completed { get; init; }

    public string? StoppedBecause { get; init; }

    public long MessagesDeleted { get; init; }

    public long QuarantineDeleted { get; init; }

    /// <summary>True when every live connection reported mmap 0 and /proc/self/maps held no mapping of the file.</summary>
    public bool MmapZeroVerified { get; init; }

    public bool Vacuumed { get; init; }

    public string? VacuumSkippedBecause { get; init; }

    public long FileBytesBefore { get; init; }

    public long FileBytesAfter { get; init; }

    public bool? TruncateCheckpointBusy { get; init; }

    public string? QuickCheck { get; init; }

    public long RestoredMmapBytes { get; init; }

    public string Summary =>
        $"{Trigger} maintenance {(Completed ? "completed" : "stopped: " + StoppedBecause)}; deleted {MessagesDeleted} messages, {QuarantineDeleted} quarantined; " +
        $"vacuum {(Vacuumed ? "done" : "skipped: " + (VacuumSkippedBecause ?? "not reached"))}; file {FileBytesBefore} -> {FileBytesAfter} bytes; " +
        $"truncate checkpoint {(TruncateCheckpointBusy is null ? "not run" : TruncateCheckpointBusy.Value ? "busy" : "ok")}; quick_check {QuickCheck ?? "not run"}";
}
