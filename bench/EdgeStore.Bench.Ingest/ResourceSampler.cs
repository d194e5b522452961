namespace EdgeStore.Bench.Ingest;

/// <summary>
/// Samples the daemon's memory every 100 ms (peak RSS split into anonymous and file-backed pages; a SQLite
/// memory map shows up as file-backed, the page cache and the .NET heap as anonymous) and the CPU time of
/// every process in the run, so the report can say which one the machine spent its cores on.
/// </summary>
internal sealed class ResourceSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly int _daemonPid;
    private readonly Dictionary<string, int> _processes = [];
    private readonly Dictionary<string, TimeSpan> _cpuAtStart = [];
    private readonly Dictionary<string, TimeSpan> _cpuLast = [];
    private Dictionary<string, TimeSpan> _daemonThreadsAtStart;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Task _loop;

    public ResourceSampler(int daemonPid, IReadOnlyDictionary<string, int> processes)
    {
        _daemonPid = daemonPid;
        foreach (var (name, pid) in processes)
        {
            Track(name, pid);
        }

        _daemonThreadsAtStart = ProcFs.ReadThreadCpu(daemonPid);
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public long PeakRssAnonKiB { get; private set; }

    public long PeakRssFileKiB { get; private set; }

    public long PeakVmHwmKiB { get; private set; }

    /// <summary>Starts tracking a process that started later (the publisher).</summary>
    public void Track(string name, int pid)
    {
        lock (_gate)
        {
            _processes[name] = pid;
            var cpu = ProcFs.ReadProcessCpu(pid) ?? TimeSpan.Zero;
            _cpuAtStart[name] = name == "publisher" ? TimeSpan.Zero : cpu;
            _cpuLast[name] = cpu;
        }
    }

    /// <summary>
    /// Starts the CPU window now (called when the first row is stored): start-up and idle time before it do not count.
    /// The publisher keeps its whole life, up to its last sample, since it only runs for the measured stream.
    /// </summary>
    public void MarkWindowStart()
    {
        lock (_gate)
        {
            foreach (var (name, pid) in _processes)
            {
                if (name != "publisher" && ProcFs.ReadProcessCpu(pid) is { } cpu)
                {
                    _cpuAtStart[name] = cpu;
                }
            }

            _daemonThreadsAtStart = ProcFs.ReadThreadCpu(_daemonPid);
        }
    }

    /// <summary>CPU each process used since the window started (the publisher: its whole life, up to its last sample).</summary>
    public IReadOnlyDictionary<string, TimeSpan> CpuUsed()
    {
        Sample();
        lock (_gate)
        {
            return _cpuLast.ToDictionary(p => p.Key, p => p.Value - _cpuAtStart[p.Key]);
        }
    }

    /// <summary>The daemon's CPU by thread name since sampling began, busiest first.</summary>
    public IReadOnlyList<(string Thread, TimeSpan Cpu)> DaemonThreads()
    {
        var now = ProcFs.ReadThreadCpu(_daemonPid);
        Dictionary<string, TimeSpan> start;
        lock (_gate)
        {
            start = _daemonThreadsAtStart;
        }

        return now
            .Select(t => (t.Key, t.Value - start.GetValueOrDefault(t.Key)))
            .Where(t => t.Item2 > TimeSpan.Zero)
            .OrderByDescending(t => t.Item2)
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(ct))
        {
            Sample();
        }
    }

    private void Sample()
    {
        var memory = ProcFs.ReadStatusKiB(_daemonPid, "VmHWM", "RssAnon", "RssFile");
        lock (_gate)
        {
            PeakRssAnonKiB = Math.Max(PeakRssAnonKiB, memory.GetValueOrDefault("RssAnon"));
            PeakRssFileKiB = Math.Max(PeakRssFileKiB, memory.GetValueOrDefault("RssFile"));
            PeakVmHwmKiB = Math.Max(PeakVmHwmKiB, memory.GetValueOrDefault("VmHWM"));
            foreach (var (name, pid) in _processes)
            {
                if (ProcFs.ReadProcessCpu(pid) is { } cpu)
                {
                    _cpuLast[name] = cpu;
                }
            }
        }
    }
}
