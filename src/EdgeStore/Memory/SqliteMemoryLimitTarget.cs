using EdgeStore.Storage;
using EdgeStore.Storage.Maintenance;

namespace EdgeStore.Memory;

/// <summary>
/// Applies the governor's limits to the real database through <see cref="SqliteConnectionFactory.SetMemoryLimits"/>:
/// later opens use them, the idle reader pool is disposed at once (in-use readers at their Close), the
/// writer re-applies them at its next batch boundary with read-back and retry (and shrink_memory when
/// asked), and never blocks ingestion. Recycled connections are counted from /proc/self/maps (mappings of
/// the database file that disappeared), and a fresh reader is opened to read the limit back.
/// </summary>
internal sealed class SqliteMemoryLimitTarget : IMemoryLimitTarget
{
    private readonly SqliteConnectionFactory _connections;
    private readonly MemoryFiles _files;

    public SqliteMemoryLimitTarget(SqliteConnectionFactory connections, MemoryFiles files)
    {
        _connections = connections;
        _files = files;
    }

    public ValueTask<MemoryLimitsOutcome> ApplyAsync(MemoryLimits limits, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var path = _connections.DatabasePath;
        var before = ProcessMappings.Parse(_files.TryReadText(ProcessMappings.MapsPath), path);

        // Already in force (the database was opened at these limits): recycling the pool would buy nothing.
        var unchanged = !limits.ShrinkMemory && _connections.MmapSizeBytes == limits.MmapSizeBytes && _connections.CacheSizeBytes == limits.CacheSizeBytes;
        if (!unchanged)
        {
            _connections.SetMemoryLimits(limits.MmapSizeBytes, limits.CacheSizeBytes, limits.ShrinkMemory);
        }

        var after = ProcessMappings.Parse(_files.TryReadText(ProcessMappings.MapsPath), path);

        // A fresh reader gets the new profile on open (with its own read-back and retry); reading it back
        // here confirms the limit new readers get. Closing it returns it to the pool at the new limit.
        long readBack;
        using (var reader = _connections.OpenReader())
        {
            readBack = SqliteConnectionFactory.ReadProfile(reader).MmapSizeBytes;
        }

        long? databaseBytes = File.Exists(path) ? new FileInfo(path).Length : null;
        return ValueTask.FromResult(new MemoryLimitsOutcome(Math.Max(0, before.Count - after.Count), readBack, databaseBytes));
    }
}
