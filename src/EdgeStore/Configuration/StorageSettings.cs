namespace EdgeStore.Configuration;

/// <summary>The `Storage` section: the SQLite file and its PRAGMA profile.</summary>
internal sealed class StorageSettings
{
    /// <summary>Null means `$STATE_DIRECTORY/edgestore.db` under systemd, else `./data/edgestore.db`.</summary>
    public string? Path { get; set; }

    /// <summary>`Normal` (synchronous=NORMAL: survives a process crash) or `Full` (synchronous=FULL: survives power loss).</summary>
    public string Durability { get; set; } = "Normal";

    public int CacheSizeMiB { get; set; } = 8;

    /// <summary>Null means min(256 MiB, 25% of RAM). Any value is capped at 25% of RAM (docs/ARCHITECTURE.md, C2).</summary>
    public int? MmapSizeMiB { get; set; }

    public int BusyTimeoutMs { get; set; } = 5000;

    public int JournalSizeLimitMiB { get; set; } = 64;

    public int WalAutocheckpointPages { get; set; } = 1000;

    public int ReaderPoolSize { get; set; } = 4;

    /// <summary>Disk guard (docs/MAINTENANCE.md): bytes that must stay free; null = 64 MiB.</summary>
    public long? MinFreeBytes { get; set; }

    /// <summary>Disk guard: percent of the filesystem that must stay free; null = 2.</summary>
    public int? MinFreePercent { get; set; }

    /// <summary>Disk guard: `StopAcks` (default) or `DeleteOldest`.</summary>
    public string? DiskFullPolicy { get; set; }

    /// <summary>Disk guard: how often free space is checked (duration text); null = 5s.</summary>
    public string? DiskCheckInterval { get; set; }

    /// <summary>The state directory: the database's own directory, where the run marker, the unclean-exit log, status.json and the tuning state live.</summary>
    public static string StateDirectoryOf(string databasePath) =>
        System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(databasePath)) ?? ".";
}
