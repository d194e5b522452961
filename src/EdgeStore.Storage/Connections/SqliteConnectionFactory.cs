using System.Collections.Concurrent;
using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Storage;

/// <summary>
/// Opens every connection of this process to the database and applies the PRAGMA profile on EVERY open
/// (docs/ARCHITECTURE.md, Storage and C2): a pooled idle handle keeps whatever PRAGMAs and mapping it had, while a new native
/// handle starts from SQLite's defaults (mmap 0, synchronous FULL), so nothing may rely on either.
/// Order: journal_mode=WAL, synchronous, busy_timeout, cache_size, mmap_size, journal_size_limit,
/// wal_autocheckpoint, temp_store=MEMORY, foreign_keys. Each value is read back; a value the engine
/// capped is logged once per distinct outcome.
/// Memory limits (mmap_size, cache_size) can change at run time: <see cref="SetMemoryLimits"/> bumps a
/// generation the writer re-applies at its next batch boundary and clears the reader pool.
/// </summary>
public sealed class SqliteConnectionFactory
{
    /// <summary>SQLite's compiled-in ceiling for mmap_size in this build (SQLITE_MAX_MMAP_SIZE).</summary>
    public const long EngineMmapCeilingBytes = 2147418112;

    private const int MmapApplyAttempts = 3;

    private readonly ILogger _logger;
    private readonly string _writerConnectionString;
    private readonly string _readerConnectionString;
    private readonly ConcurrentDictionary<SqliteConnection, LiveConnection> _live = new();
    private readonly ConcurrentDictionary<string, byte> _reportedOutcomes = new(StringComparer.Ordinal);
    private readonly StateChangeEventHandler _onStateChange;
    private long _mmapSizeBytes;
    private long _cacheSizeBytes;
    private long _profileGeneration;
    private long _shrinkGeneration;
    private PragmaProfile? _lastWriterProfile;
    private PragmaProfile? _lastReaderProfile;

    internal SqliteConnectionFactory(StorageOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        DatabasePath = Path.GetFullPath(options.Path);
        Durability = options.Durability;
        BusyTimeout = options.BusyTimeout;
        JournalSizeLimitBytes = options.JournalSizeLimitBytes;
        WalAutocheckpointPages = options.WalAutocheckpointPages;
        _mmapSizeBytes = options.MmapSizeBytes;
        _cacheSizeBytes = options.CacheSizeBytes;
        _logger = logger;
        _onStateChange = OnStateChange;

        // The writer is never pooled: disposing it must close the native handle (and its mapping).
        _writerConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString();

        // Readers are pooled and read-only; their own connection string names their own pool, so
        // ClearPool on it touches readers only.
        _readerConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();
    }

    public string DatabasePath { get; }

    public DurabilityLevel Durability { get; }

    public TimeSpan BusyTimeout { get; }

    public long JournalSizeLimitBytes { get; }

    public int WalAutocheckpointPages { get; }

    /// <summary>The mmap_size applied on every later open (and by the writer at its next batch boundary).</summary>
    public long MmapSizeBytes
    {
        get => Interlocked.Read(ref _mmapSizeBytes);
        set => SetMemoryLimits(value, CacheSizeBytes);
    }

    /// <summary>The page cache applied on every later open (and by the writer at its next batch boundary).</summary>
    public long CacheSizeBytes => Interlocked.Read(ref _cacheSizeBytes);

    /// <summary>Increments on every <see cref="SetMemoryLimits"/>; the writer compares it at each batch boundary.</summary>
    public long ProfileGeneration => Interlocked.Read(ref _profileGeneration);

    /// <summary>The values the writer connection last read back (null before the first writer open).</summary>
    public PragmaProfile? LastWriterProfile => Volatile.Read(ref _lastWriterProfile);

    /// <summary>The values a reader connection last read back (null before the first reader open).</summary>
    public PragmaProfile? LastReaderProfile => Volatile.Read(ref _lastReaderProfile);

    internal long ShrinkGeneration => Interlocked.Read(ref _shrinkGeneration);

    /// <summary>Raised after the limits changed, so an idle writer can apply them without waiting for data.</summary>
    internal event Action? MemoryLimitsChanged;

    /// <summary>Opens the (unpooled) writer connection with the full profile applied.</summary>
    public SqliteConnection OpenWriter() => Open(_writerConnectionString, SqliteConnectionRole.Writer);

    /// <summary>Opens a pooled, read-only connection with the full profile applied at the current limits.</summary>
    public SqliteConnection OpenReader() => Open(_readerConnectionString, SqliteConnectionRole.Reader);

    /// <summary>
    /// For another process (such as <c>edgestore query</c>): read-only, unpooled, <c>mmap_size=0</c>, so a
    /// maintenance window in the daemon can shrink the file without this process ever touching a mapping (C3).
    /// </summary>
    public static SqliteConnection OpenReadOnly(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"No database at {fullPath}.", fullPath);
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadOnly,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            Execute(connection, "PRAGMA mmap_size=0");
            Execute(connection, "PRAGMA busy_timeout=5000");
            Execute(connection, "PRAGMA query_only=1");
            var mmap = ExecuteInt64(connection, "PRAGMA mmap_size");
            if (mmap != 0)
            {
                throw new InvalidOperationException($"SQLite kept mmap_size={mmap} on a read-only connection; refusing to read with a mapping.");
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Changes the memory limits at run time (memory governor, maintenance): later opens use them, the
    /// writer re-applies them at its next batch boundary (reading back and retrying), the reader pool is
    /// cleared so no idle reader keeps a larger mapping (in-use readers are disposed at their Close).
    /// With <paramref name="shrinkMemory"/> the writer also runs <c>PRAGMA shrink_memory</c>.
    /// </summary>
    public void SetMemoryLimits(long mmapSizeBytes, long cacheSizeBytes, bool shrinkMemory = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(mmapSizeBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheSizeBytes);
        var previousMmap = Interlocked.Exchange(ref _mmapSizeBytes, mmapSizeBytes);
        var previousCache = Interlocked.Exchange(ref _cacheSizeBytes, cacheSizeBytes);
        if (shrinkMemory)
        {
            Interlocked.Increment(ref _shrinkGeneration);
        }

        Interlocked.Increment(ref _profileGeneration);
        ClearReaderPool();
        StorageLog.MemoryLimitsChanged(_logger, previousMmap, mmapSizeBytes, previousCache, cacheSizeBytes, shrinkMemory);
        MemoryLimitsChanged?.Invoke();
    }

    /// <summary>Disposes every idle pooled reader now, and every in-use one at its Close.</summary>
    public void ClearReaderPool()
    {
        using var key = new SqliteConnection(_readerConnectionString);
        SqliteConnection.ClearPool(key);
    }

    /// <summary>The mmap_size each open connection of this factory last read back (see <see cref="ConnectionMapping"/>).</summary>
    public IReadOnlyList<ConnectionMapping> LiveConnectionMappings()
    {
        var result = new List<ConnectionMapping>();
        foreach (var entry in _live.Values)
        {
            result.Add(new ConnectionMapping(entry.Role, Interlocked.Read(ref entry.MmapSizeBytes)));
        }

        return result;
    }

    /// <summary>
    /// Sets mmap_size on an open connection owned by the caller, reads it back and retries: SQLite silently
    /// ignores the PRAGMA while the connection has an unfinished statement. Returns the value read back.
    /// </summary>
    public long ApplyMmapSize(SqliteConnection connection, long mmapSizeBytes)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfNegative(mmapSizeBytes);
        var expected = Math.Min(mmapSizeBytes, EngineMmapCeilingBytes);
        long actual = -1;
        for (var attempt = 1; attempt <= MmapApplyAttempts; attempt++)
        {
            Execute(connection, Pragma("mmap_size", mmapSizeBytes));
            actual = ExecuteInt64(connection, "PRAGMA mmap_size");
            if (actual == expected)
            {
                break;
            }

            StorageLog.MmapNotApplied(_logger, mmapSizeBytes, actual, attempt);
        }

        ReportIfCapped("mmap_size", mmapSizeBytes, actual);
        if (_live.TryGetValue(connection, out var live))
        {
            Interlocked.Exchange(ref live.MmapSizeBytes, actual);
        }

        return actual;
    }

    /// <summary>Reads the current profile values of a connection (no changes).</summary>
    public static PragmaProfile ReadProfile(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new PragmaProfile(
            ExecuteText(connection, "PRAGMA journal_mode"),
            (int)ExecuteInt64(connection, "PRAGMA synchronous"),
            ExecuteInt64(connection, "PRAGMA busy_timeout"),
            ExecuteInt64(connection, "PRAGMA cache_size"),
            ExecuteInt64(connection, "PRAGMA mmap_size"),
            ExecuteInt64(connection, "PRAGMA journal_size_limit"),
            ExecuteInt64(connection, "PRAGMA wal_autocheckpoint"),
            (int)ExecuteInt64(connection, "PRAGMA temp_store"),
            ExecuteInt64(connection, "PRAGMA foreign_keys") != 0);
    }

    /// <summary>
    /// Brings the writer to the current memory limits when they changed since <paramref name="appliedGeneration"/>.
    /// Called by the writer only at a batch boundary (no open transaction, no unfinished statement).
    /// </summary>
    internal void ApplyMemoryLimitsToWriter(SqliteConnection writer, ref long appliedGeneration, ref long appliedShrinkGeneration)
    {
        var generation = ProfileGeneration;
        if (generation != appliedGeneration)
        {
            var cache = CacheSizeBytes;
            Execute(writer, Pragma("cache_size", -(cache / 1024)));
            ReportIfCapped("cache_size", -(cache / 1024), ExecuteInt64(writer, "PRAGMA cache_size"));
            var mmap = ApplyMmapSize(writer, MmapSizeBytes);
            StorageLog.WriterMemoryLimitsApplied(_logger, mmap, cache);
            appliedGeneration = generation;
        }

        var shrink = ShrinkGeneration;
        if (shrink != appliedShrinkGeneration)
        {
            Execute(writer, "PRAGMA shrink_memory");
            appliedShrinkGeneration = shrink;
        }
    }

    private SqliteConnection Open(string connectionString, SqliteConnectionRole role)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            var profile = ApplyProfile(connection, role);
            if (role == SqliteConnectionRole.Writer)
            {
                Volatile.Write(ref _lastWriterProfile, profile);
            }
            else
            {
                Volatile.Write(ref _lastReaderProfile, profile);
            }

            _live[connection] = new LiveConnection(role, profile.MmapSizeBytes);
            connection.StateChange += _onStateChange;
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private PragmaProfile ApplyProfile(SqliteConnection connection, SqliteConnectionRole role)
    {
        // journal_mode=WAL is persistent in the file: the writer sets it (a no-op once set), readers
        // (read-only) can only read it back. page_size (docs/ARCHITECTURE.md, Storage: 4096) can only take effect before the
        // file has content, and a WAL file never changes it: set it first, a no-op on an existing database.
        if (role == SqliteConnectionRole.Writer)
        {
            Execute(connection, "PRAGMA page_size=4096");
        }

        var journalMode = role == SqliteConnectionRole.Writer
            ? ExecuteText(connection, "PRAGMA journal_mode=WAL")
            : ExecuteText(connection, "PRAGMA journal_mode");
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            ReportOutcome("journal_mode", "wal", journalMode);
        }

        var synchronous = Durability == DurabilityLevel.Full ? PragmaProfile.SynchronousFull : PragmaProfile.SynchronousNormal;
        Execute(connection, Pragma("synchronous", synchronous));
        Execute(connection, Pragma("busy_timeout", (long)BusyTimeout.TotalMilliseconds));
        var cacheKib = -(CacheSizeBytes / 1024);
        Execute(connection, Pragma("cache_size", cacheKib));
        var mmap = MmapSizeBytes;
        Execute(connection, Pragma("mmap_size", mmap));
        Execute(connection, Pragma("journal_size_limit", JournalSizeLimitBytes));
        Execute(connection, Pragma("wal_autocheckpoint", WalAutocheckpointPages));
        Execute(connection, "PRAGMA temp_store=MEMORY");
        Execute(connection, "PRAGMA foreign_keys=ON");

        var profile = ReadProfile(connection);
        if (profile.MmapSizeBytes != Math.Min(mmap, EngineMmapCeilingBytes))
        {
            // Nothing runs on a freshly opened connection, but a pooled handle is not fresh: retry.
            profile = profile with { MmapSizeBytes = ApplyMmapSize(connection, mmap) };
        }

        ReportIfCapped("synchronous", synchronous, profile.Synchronous);
        ReportIfCapped("busy_timeout", (long)BusyTimeout.TotalMilliseconds, profile.BusyTimeoutMs);
        ReportIfCapped("cache_size", cacheKib, profile.CacheSize);
        ReportIfCapped("mmap_size", mmap, profile.MmapSizeBytes);
        ReportIfCapped("journal_size_limit", JournalSizeLimitBytes, profile.JournalSizeLimitBytes);
        ReportIfCapped("wal_autocheckpoint", WalAutocheckpointPages, profile.WalAutocheckpointPages);
        ReportIfCapped("temp_store", PragmaProfile.TempStoreMemory, profile.TempStore);
        ReportIfCapped("foreign_keys", 1, profile.ForeignKeys ? 1 : 0);
        return profile;
    }

    private void ReportIfCapped(string pragma, long requested, long actual)
    {
        if (requested != actual)
        {
            ReportOutcome(pragma, requested.ToString(CultureInfo.InvariantCulture), actual.ToString(CultureInfo.InvariantCulture));
        }
    }

    // Once per distinct (pragma, requested, actual): every open applies the profile, the log must not repeat it.
    private void ReportOutcome(string pragma, string requested, string actual)
    {
        if (_reportedOutcomes.TryAdd(string.Concat(pragma, "=", requested, "->", actual), 0))
        {
            StorageLog.PragmaCapped(_logger, pragma, requested, actual);
        }
    }

    private void OnStateChange(object? sender, StateChangeEventArgs e)
    {
        if (e.CurrentState == ConnectionState.Closed && sender is SqliteConnection connection)
        {
            connection.StateChange -= _onStateChange;
            _live.TryRemove(connection, out _);
        }
    }

    private static string Pragma(string name, long value) =>
        string.Create(CultureInfo.InvariantCulture, $"PRAGMA {name}={value}");

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static long ExecuteInt64(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar() ?? 0L, CultureInfo.InvariantCulture);
    }

    internal static string ExecuteText(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture) ?? string.Empty;
    }

    private sealed class LiveConnection(SqliteConnectionRole role, long mmapSizeBytes)
    {
        public SqliteConnectionRole Role { get; } = role;

        public long MmapSizeBytes = mmapSizeBytes;
    }
}
