using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using EdgeStore.Configuration;
using EdgeStore.Status;
using EdgeStore.Memory;
using EdgeStore.Storage;
using EdgeStore.Storage.Maintenance;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// EdgeStore.Bench.Mmap: builds (or reuses) a database of about --size-mib MiB, then runs random
// "series + time range" reads from --threads threads through the pooled reader connections, and prints
// queries/s and the process RSS split (RssAnon: heap and SQLite page cache; RssFile: mapped database pages)
// at mmap 0, at the cap, and while the real MmapGovernor steps through levels driven by a synthetic
// /proc/pressure/memory. Every phase is bounded by --seconds.
var arguments = BenchArguments.Parse(args);
const long MiB = 1024 * 1024;
const int Series = 200;
const int PayloadBytes = 2000;
const long SpanMs = 2L * 24 * 3600 * 1000; // rows spread evenly over 2 days: ~50 rows per series-hour at 1 GiB
var allQueries = 0L; // every query of every phase, for the per-second lines
var startMs = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();

Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(arguments.DatabasePath))!);
var liveFiles = new MemoryFiles("/");
var cap = new MmapCap(EffectiveMemory.Read(liveFiles, new CgroupMemory(liveFiles, CgroupLocator.Locate(liveFiles))), NullLogger<MmapCap>.Instance);
Console.WriteLine($"effective RAM {MemoryStatusReport.Bytes(cap.EffectiveMemory.EffectiveBytes)} ({cap.EffectiveMemory.Source}); mmap cap {MemoryStatusReport.Bytes(cap.CapBytes)}; {Environment.ProcessorCount} CPUs; {arguments.Threads} reader threads; {arguments.Seconds} s per phase");

var options = new StorageOptions { Path = arguments.DatabasePath, MmapSizeBytes = 0, CacheSizeBytes = 8 * MiB, ReaderPoolSize = arguments.Threads + 2 };
await using var database = await TelemetryDatabase.OpenAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
var rows = await FillAsync(database, arguments.SizeMiB * MiB);
var fileBytes = new FileInfo(database.Connections.DatabasePath).Length;
Console.WriteLine($"database {database.Connections.DatabasePath}: {MemoryStatusReport.Bytes(fileBytes)}, {rows} rows, {Series} series, {PayloadBytes}-byte payloads over 2 days");
WarmFileCache(database.Connections.DatabasePath);

database.Connections.SetMemoryLimits(0, 8 * MiB);
await RunPhaseAsync("mmap 0", database.Connections, arguments, _ => { });
database.Connections.SetMemoryLimits(cap.CapBytes, 8 * MiB);
await RunPhaseAsync($"mmap cap {MemoryStatusReport.Bytes(cap.CapBytes)}", database.Connections, arguments, _ => { });
await RunGovernedPhaseAsync(database.Connections, cap, arguments);
SqliteConnection.ClearAllPools();
return 0;

async Task<long> FillAsync(TelemetryDatabase db, long targetBytes)
{
    var existing = CountRows(db.Connections);
    if (new FileInfo(db.Connections.DatabasePath).Length >= targetBytes * 95 / 100)
    {
        return existing;
    }

    var writer = db.CreateWriter();
    await using var _ = writer;
    var channel = Channel.CreateBounded<IngestRecord>(10_000);
    var run = writer.RunAsync(channel.Reader, (_, _) => ValueTask.CompletedTask, CancellationToken.None);
    var random = new Random(42);
    var payload = new byte[PayloadBytes];
    var total = targetBytes / (PayloadBytes + 120);
    var stopwatch = Stopwatch.StartNew();
    for (var i = existing; i < total; i++)
    {
        random.NextBytes(payload);
        var series = i % Series;
        var receivedAt = startMs + (SpanMs * i / total);
        await channel.Writer.WriteAsync(new IngestRecord($"sensors/dev-{series:0000}/telemetry", payload.ToArray(), 1, false, receivedAt, null, i, null, 0));
    }

    channel.Writer.Complete();
    await run;
    Console.WriteLine($"filled {total - existing} rows in {stopwatch.Elapsed.TotalSeconds:0.0} s");
    return total;
}

static long CountRows(SqliteConnectionFactory connections)
{
    using var connection = connections.OpenReader();
    using var command = connection.CreateCommand();
    command.CommandText = "SELECT count(*) FROM messages";
    return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
}

// Every phase reads from a warm OS page cache, so the phases differ only in how SQLite reaches the pages.
static void WarmFileCache(string path)
{
    using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 20);
    var buffer = new byte[1 << 20];
    while (stream.Read(buffer) > 0)
    {
    }
}

async Task<(long Queries, long Rows)> RunPhaseAsync(string name, SqliteConnectionFactory connections, BenchArguments a, Action<TimeSpan> everySecond)
{
    var queries = 0L;
    var rowsRead = 0L;
    var peakAnon = 0L;
    var peakFile = 0L;
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(a.Seconds));
    var workers = Enumerable.Range(0, a.Threads).Select(t => Task.Run(() =>
    {
        var random = new Random(1000 + t);
        while (!stop.IsCancellationRequested)
        {
            var read = QueryOnce(connections, random);
            Interlocked.Increment(ref queries);
            Interlocked.Increment(ref allQueries);
            Interlocked.Add(ref rowsRead, read);
        }
    })).ToArray();

    var stopwatch = Stopwatch.StartNew();
    while (!stop.IsCancellationRequested)
    {
        await Task.Delay(1000);
        everySecond(stopwatch.Elapsed);
        var (anon, file) = Rss();
        peakAnon = Math.Max(peakAnon, anon);
        peakFile = Math.Max(peakFile, file);
    }

    await Task.WhenAll(workers);
    var seconds = stopwatch.Elapsed.TotalSeconds;
    var (endAnon, endFile) = Rss();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-22} {queries / seconds,8:0} queries/s ({(double)rowsRead / Math.Max(1, queries):0.0} rows each)  RssAnon {endAnon / MiB} MiB (peak {peakAnon / MiB})  RssFile {endFile / MiB} MiB (peak {peakFile / MiB})  db mappings: {ProcessMappings.Of(connections.DatabasePath)}"));
    return (queries, rowsRead);
}

// One "series + time range" read: a random device, a random one-hour window, every payload in it.
long QueryOnce(SqliteConnectionFactory connections, Random random)
{
    var from = startMs + random.NextInt64(SpanMs - 3_600_000);
    using var connection = connections.OpenReader();
    using var command = connection.CreateCommand();
    command.CommandText = """
        SELECT m.payload FROM messages m JOIN series s ON s.id = m.series_id
        WHERE s.topic = $topic AND m.received_at_ms >= $from AND m.received_at_ms < $until
        ORDER BY m.received_at_ms
        """;
    command.Parameters.AddWithValue("$topic", $"sensors/dev-{random.Next(Series):0000}/telemetry");
    command.Parameters.AddWithValue("$from", from);
    command.Parameters.AddWithValue("$until", from + 3_600_000);
    using var reader = command.ExecuteReader();
    long count = 0;
    long bytes = 0;
    while (reader.Read())
    {
        bytes += ((byte[])reader[0]).Length;
        count++;
    }

    GC.KeepAlive(bytes);
    return count;
}

static (long Anon, long File) Rss()
{
    long anon = 0;
    long file = 0;
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
        {
            anon = KiB(line);
        }
        else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
        {
            file = KiB(line);
        }
    }

    return (anon, file);

    static long KiB(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}

// The real monitor and governor, fed a synthetic /proc/pressure/memory that walks
// Normal -> Elevated -> Critical -> Normal, with short hold and calm periods so the whole ladder fits the phase.
async Task RunGovernedPhaseAsync(SqliteConnectionFactory connections, MmapCap mmapCap, BenchArguments a)
{
    var tree = Directory.CreateTempSubdirectory("edgestore-bench-psi-").FullName;
    Directory.CreateDirectory(Path.Combine(tree, "proc", "pressure"));
    File.Copy("/proc/meminfo", Path.Combine(tree, "proc", "meminfo"));
    void Psi(double some, double full) => File.WriteAllText(Path.Combine(tree, "proc", "pressure", "memory"),
        string.Create(CultureInfo.InvariantCulture, $"some avg10={some:0.00} avg60=0.00 avg300=0.00 total=0\nfull avg10={full:0.00} avg60=0.00 avg300=0.00 total=0\n"));
    Psi(0, 0);

    var settings = Options.Create(new MemorySettings { PollIntervalMs = 200, StepDownHoldSeconds = 1, CalmPeriodSeconds = Math.Max(1, a.Seconds / 8) });
    var files = new MemoryFiles(tree);
    var monitor = new MemoryPressureMonitor(settings, new MemorySampler(files, new CgroupMemory(files, CgroupPaths.None), TimeProvider.System), TimeProvider.System, NullLogger<MemoryPressureMonitor>.Instance);
    var governor = new MmapGovernor(monitor, mmapCap, settings, new DaemonStatus(), new MemoryGovernanceCounters(), liveFiles, TimeProvider.System, NullLogger<MmapGovernor>.Instance);
    await governor.AttachStorageAsync(new SqliteMemoryLimitTarget(connections, liveFiles), mmapCap.CapBytes, 8 * MiB, CancellationToken.None);
    await monitor.StartAsync(CancellationToken.None);
    await governor.StartAsync(CancellationToken.None);

    var seconds = a.Seconds * 2;
    var stepAt = Math.Max(1, seconds / 8);
    Console.WriteLine($"governed, {seconds} s: Elevated at {stepAt} s, Critical at {2 * stepAt} s, Normal from {3 * stepAt} s (calm steps every {settings.Value.CalmPeriodSeconds} s)");
    var phase = RunPhaseAsync("governed (whole run)", connections, a with { Seconds = seconds }, elapsed =>
    {
        var second = (int)elapsed.TotalSeconds;
        if (second == stepAt)
        {
            Psi(15, 0);
        }
        else if (second == 2 * stepAt)
        {
            Psi(50, 10);
        }
        else if (second == 3 * stepAt)
        {
            Psi(0, 0);
        }
    });

    // A per-second line: level, limit, q/s, RSS, read alongside the phase's own loop.
    var perSecond = Stopwatch.StartNew();
    var lastCount = Interlocked.Read(ref allQueries);
    var lastAt = perSecond.Elapsed;
    while (!phase.IsCompleted)
    {
        await Task.WhenAny(phase, Task.Delay(1000));
        var counters = governor.Counters;
        var (anon, file) = Rss();
        var count = Interlocked.Read(ref allQueries);
        var now = perSecond.Elapsed;
        var rate = (count - lastCount) / Math.Max(0.001, (now - lastAt).TotalSeconds);
        (lastCount, lastAt) = (count, now);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  t={now.TotalSeconds,5:0.0}s {rate,6:0} q/s level {monitor.Level,-8} mmap {counters.MmapLimitBytes / MiB,5} MiB cache {counters.CacheSizeBytes / MiB} MiB  RssAnon {anon / MiB} MiB RssFile {file / MiB} MiB  mappings {ProcessMappings.Of(connections.DatabasePath)}"));
    }

    var (queries, _) = await phase;
    var final = governor.Counters;
    Console.WriteLine($"governor: {final.LimitChanges} limit changes, {final.ConnectionsRecycled} connections recycled, ~{MemoryStatusReport.Bytes(final.BytesReleased)} released; {monitor.LevelChanges} level changes; {queries} queries");
    await governor.StopAsync(CancellationToken.None);
    await monitor.StopAsync(CancellationToken.None);
    governor.Dispose();
    monitor.Dispose();
    Directory.Delete(tree, recursive: true);
}

internal sealed record BenchArguments(string DatabasePath, long SizeMiB, int Threads, int Seconds)
{
    public static BenchArguments Parse(string[] args)
    {
        var result = new BenchArguments(Path.Combine(Path.GetTempPath(), "edgestore-bench-mmap", "bench.db"), 1024, 2, 20);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            result = args[i] switch
            {
                "--db" => result with { DatabasePath = args[i + 1] },
                "--size-mib" => result with { SizeMiB = Math.Clamp(long.Parse(args[i + 1], CultureInfo.InvariantCulture), 16, 4096) },
                "--threads" => result with { Threads = Math.Clamp(int.Parse(args[i + 1], CultureInfo.InvariantCulture), 1, 16) },
                "--seconds" => result with { Seconds = Math.Clamp(int.Parse(args[i + 1], CultureInfo.InvariantCulture), 2, 600) },
                _ => throw new ArgumentException($"unknown option {args[i]} (use --db PATH --size-mib N --threads N --seconds N)"),
            };
        }

        return result;
    }
}
