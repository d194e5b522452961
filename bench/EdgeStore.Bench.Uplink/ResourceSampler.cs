namespace EdgeStore.Bench.Uplink;

/// <summary>
/// Samples the daemon's memory every 100 ms for the whole of its life (peak RssAnon: heap, SQLite page cache, stacks;
/// peak VmHWM), and measures CPU time (user + system, /proc/PID/stat) of the processes of a run over a window that
/// starts at <see cref="MarkWindowStart"/>: the daemon, the brokers, and this process (the counting subscriber).
/// </summary>
internal sealed class ResourceSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    private readonly int _daemonPid;
    private readonly IReadOnlyDictionary<string, int> _processes;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Task _loop;
    private Dictionary<string, TimeSpan> _cpuAtStart = [];
    private Dictionary<string, TimeSpan> _threadsAtStart = [];
    private long _peakRssAnonKiB;
    private long _peakVmHwmKiB;

    /// <param name="processes">Name to PID of every process whose CPU the window reports; must include `daemon`.</param>
    public ResourceSampler(IReadOnlyDictionary<string, int> processes)
    {
        _processes = processes;
        _daemonPid = processes["daemon"];
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public long PeakRssAnonKiB
    {
        get
        {
            Sample();
            lock (_gate)
            {
                return _peakRssAnonKiB;
            }
        }
    }

    public long PeakVmHwmKiB
    {
        get
        {
            lock (_gate)
            {
                return _peakVmHwmKiB;
            }
        }
    }

    public void MarkWindowStart()
    {
        var cpu = _processes.ToDictionary(p => p.Key, p => ProcFs.ReadProcessCpu(p.Value) ?? TimeSpan.Zero);
        var threads = ProcFs.ReadThreadCpu(_daemonPid);
        lock (_gate)
        {
            _cpuAtStart = cpu;
            _threadsAtStart = threads;
        }
    }

    /// <summary>CPU each process used since <see cref="MarkWindowStart"/>.</summary>
    public IReadOnlyDictionary<string, TimeSpan> CpuSinceMark()
    {
        lock (_gate)
        {
            return _processes.ToDictionary(
                p => p.Key,
                p => (ProcFs.ReadProcessCpu(p.Value) ?? TimeSpan.Zero) - _cpuAtStart.GetValueOrDefault(p.Key));
        }
    }

    /// <summary>The daemon's CPU by thread name since <see cref="MarkWindowStart"/>, busiest first.</summary>
    public IReadOnlyList<(string Thread, TimeSpan Cpu)> DaemonThreadsSinceMark()
    {
        var now = ProcFs.ReadThreadCpu(_daemonPid);
        lock (_gate)
        {
            var start = _threadsAtStart;
            return now
                .Select(t => (t.Key, t.Value - start.GetValueOrDefault(t.Key)))
                .Where(t => t.Item2 > TimeSpan.Zero)
                .OrderByDescending(t => t.Item2)
                .ToList();
        }
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
        var memory = ProcFs.ReadStatusKiB(_daemonPid, "VmHWM", "RssAnon");
        lock (_gate)
        {
            _peakRssAnonKiB = Math.Max(_peakRssAnonKiB, memory.GetValueOrDefault("RssAnon"));
            _peakVmHwmKiB = Math.Max(_peakVmHwmKiB, memory.GetValueOrDefault("VmHWM"));
        }
    }
}
