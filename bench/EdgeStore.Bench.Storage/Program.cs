using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using EdgeStore.Storage;
using Microsoft.Extensions.Logging.Abstractions;

// Usage: dotnet run -c Release --project bench/EdgeStore.Bench.Storage [rows] [devices] [durability Normal|Full] [withSeq true|false]
// Inserts rows shaped like the simulator's telemetry through the BatchWriter and prints rows/s
// from the first record queued to the last commit reported.
var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
var devices = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
var durability = args.Length > 2 ? Enum.Parse<DurabilityLevel>(args[2], ignoreCase: true) : DurabilityLevel.Normal;
var withSequence = args.Length <= 3 || bool.Parse(args[3]);

var directory = Path.Combine(Path.GetTempPath(), "edgestore-bench-storage-" + Guid.NewGuid().ToString("N"));
var options = new StorageOptions { Path = Path.Combine(directory, "bench.db"), Durability = durability };
try
{
    await using var database = await TelemetryDatabase.OpenAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
    var topics = Enumerable.Range(1, devices).Select(d => $"sensors/dev-{d:D4}/telemetry").ToArray();
    var records = new IngestRecord[rows];
    var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    for (var i = 0; i < rows; i++)
    {
        var device = i % devices;
        var seq = (i / devices) + 1;
        var ts = now + i;
        var payload = Encoding.UTF8.GetBytes($"{{\"seq\":{seq},\"ts\":{ts},\"temperature\":{20 + (i % 100) / 10.0:F1},\"humidity\":{40 + (i % 300) / 10.0:F1},\"battery\":{(i % 100) / 100.0:F2}}}");
        records[i] = new IngestRecord(topics[device], payload, 1, false, ts, withSequence ? ts : null, withSequence ? seq : null, null, i + 1);
    }

    var channel = Channel.CreateBounded<IngestRecord>(new BoundedChannelOptions(10_000) { SingleReader = true, SingleWriter = true });
    await using var writer = database.CreateWriter();
    long acknowledged = 0;
    var batches = 0;
    var commitTime = TimeSpan.Zero;
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var stopwatch = Stopwatch.StartNew();
    var run = writer.RunAsync(channel.Reader, (batch, _) =>
    {
        acknowledged += batch.AckTags.Count;
        batches++;
        commitTime += batch.CommitDuration;
        return ValueTask.CompletedTask;
    }, CancellationToken.None);
    foreach (var record in records)
    {
        await channel.Writer.WriteAsync(record);
    }

    channel.Writer.Complete();
    await run;
    stopwatch.Stop();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{rows} rows, {devices} devices, synchronous={durability}, device seq={withSequence}: {rows / stopwatch.Elapsed.TotalSeconds:F0} rows/s " +
        $"({stopwatch.Elapsed.TotalSeconds:F2} s, {batches} batches, {commitTime.TotalSeconds:F2} s inside transactions, {acknowledged} acknowledged, {writer.Counters.Inserted} inserted, {writer.Counters.Redeliveries} redeliveries; " +
        $"process CPU {cpu.TotalSeconds:F2} s = {rows / cpu.TotalSeconds:F0} rows per CPU-second; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]})"));
}
finally
{
    Directory.Delete(directory, recursive: true);
}
