namespace EdgeStore.Maintenance;

/// <summary>
/// Deletes the oldest stored messages for the DeleteOldest disk policy. Deleting rows does not
/// shrink the file (that would need VACUUM, which is for windows only); it gives SQLite free pages
/// to reuse, so the database stops growing while ingestion goes on.
/// </summary>
internal interface IOldestDataEraser
{
    /// <summary>
    /// Deletes up to <paramref name="maxRows"/> of the oldest messages when the database holds
    /// fewer than <paramref name="wantFreeBytes"/> of free pages; returns the rows deleted (0 when
    /// it already had enough free pages, or nothing is left to delete).
    /// </summary>
    Task<int> DeleteOldestAsync(long wantFreeBytes, int maxRows, CancellationToken ct);
}
