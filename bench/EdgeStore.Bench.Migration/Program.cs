using System.Diagnostics;
using System.Globalization;
using EdgeStore.Storage;
using EdgeStore.Tests.Store;
using Microsoft.Extensions.Logging.Abstractions;

// Usage: dotnet run -c Release --project bench/EdgeStore.Bench.Migration [rows,rows,...] [steps]
//   rows: default 50000,200000,1000000; steps: a comma list of 2, 3, 3-0.1, 4 (default all)
// For every migration step and every size: a file at the step's previous version with that many messages (built
// untimed), then the step alone, timed, on a writer connection with the daemon's PRAGMA profile. A step linear in the
// table size shows a constant time per row across the sizes; the last column compares each size with the first.
var sizes = (args.Length > 0 ? args[0] : "50000,200000,1000000")
    .Split(',', StringSplitOptions.RemoveEmptyEntries)
    .Select(s => long.Parse(s, CultureInfo.InvariantCulture))
    .ToArray();
(string Key, int Version, bool ContentKeys, string Name)[] allSteps =
[
    ("2", 2, false, "1 -> 2 series/time and quarantine indexes"),
    ("3", 3, false, "2 -> 3 ack ledger (file made by this EdgeStore)"),
    ("3-0.1", 3, true, "2 -> 3 ack ledger, content keys and their columns dropped (file made by EdgeStore 0.1)"),
    ("4", 4, false, "3 -> 4 uplink cursors"),
];
var chosen = args.Length > 1 ? args[1].Split(',') : allSteps.Select(s => s.Key).ToArray();
var steps = allSteps.Where(s => chosen.Contains(s.Key)).ToArray();

using (var memory = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=:memory:"))
{
    memory.Open();
    Console.WriteLine($"SQLite {memory.ServerVersion}; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
}

Console.WriteLine("| step | rows | seconds | µs per row | per-row time vs the smallest size |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
foreach (var (_, version, contentKeys, name) in steps)
{
    double? firstPerRow = null;
    foreach (var rows in sizes)
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-bench-migration-").FullName;
        try
        {
            var path = Path.Combine(directory, "edgestore.db");
            OldSchemaDatabase.Create(path, version - 1, rows, contentKeys);
            var options = new StorageOptions { Path = path };
            var connections = new SqliteConnectionFactory(options, NullLogger.Instance);
            using var connection = connections.OpenWriter();
            var clock = Stopwatch.StartNew();
            SchemaMigrator.Migrate(connection, path, NullLogger.Instance, targetVersion: version);
            clock.Stop();
            var perRow = clock.Elapsed.TotalMicroseconds / Math.Max(1, rows);
            firstPerRow ??= perRow;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {rows:N0} | {clock.Elapsed.TotalSeconds:F2} | {perRow:F2} | {perRow / firstPerRow:F2}x |"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
