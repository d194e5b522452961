using EdgeStore.Status;
using EdgeStore.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Systemd;

/// <summary>
/// A real generic host wired with <see cref="SystemdHostBuilderExtensions.AddSystemdIntegration(HostApplicationBuilder, SystemdEnvironment)"/>,
/// the package's <see cref="SystemdLifetime"/>, a recording notifier in place of the package's socket transport (the
/// transport itself is exercised by <see cref="SystemdProcessTests"/> against a real socket), a fake clock, and a stand-in for the ingest service whose start (the database
/// migration) and stop (the final commit) finish only when the test says so.
/// </summary>
internal sealed class SystemdHostHarness : IAsyncDisposable
{
    public static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(30);

    private SystemdHostHarness(RecordingSystemdNotifier notifications, TrackingTimeProvider time, IHost host, IngestStandIn ingest)
    {
        Notifications = notifications;
        Time = time;
        Host = host;
        Ingest = ingest;
    }

    /// <summary>Every state sent, in order.</summary>
    public RecordingSystemdNotifier Notifications { get; }

    public TrackingTimeProvider Time { get; }

    public IHost Host { get; }

    public IngestStandIn Ingest { get; }

    public IngestHeartbeat Heartbeat => Host.Services.GetRequiredService<IngestHeartbeat>();

    public DaemonStatus Status => Host.Services.GetRequiredService<DaemonStatus>();

    public static SystemdHostHarness Create(params (string Name, string Value)[] extraVariables)
    {
        var notifications = new RecordingSystemdNotifier();
        var variables = new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = "/run/systemd/notify",
            ["INVOCATION_ID"] = "6a1d2c0b9e8f4a7b8c5d3e2f1a0b9c8d",
        };
        foreach (var (name, value) in extraVariables)
        {
            variables[name] = value;
        }

        var time = new TrackingTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var ingest = new IngestStandIn();
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddHostedService(_ => ingest);
        builder.Services.AddSingleton<ISystemdNotifier>(notifications);
        builder.AddSystemdIntegration(new SystemdEnvironment(name => variables.GetValueOrDefault(name), Environment.ProcessId));
        return new SystemdHostHarness(notifications, time, builder.Build(), ingest);
    }

    /// <summary>Starts the host with the migration already finished and waits for READY=1.</summary>
    public async Task StartReadyAsync()
    {
        Ingest.FinishStart();
        await Host.StartAsync();
        await Notifications.ReceiveUntilAsync("READY=1", ReceiveTimeout);
    }

    /// <summary>Moves the clock second by second; after each second the chosen loops beat.</summary>
    public void AdvanceBeating(TimeSpan total, bool ingestLoop = true, bool writer = true)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < total; elapsed += TimeSpan.FromSeconds(1))
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            if (ingestLoop)
            {
                Heartbeat.IngestLoopBeat();
            }

            if (writer)
            {
                Heartbeat.WriterBeat();
            }
        }
    }

    public List<string> Drain(string prefix) =>
        Notifications.Drain().Where(d => d.StartsWith(prefix, StringComparison.Ordinal)).ToList();

    public async ValueTask DisposeAsync()
    {
        Ingest.FinishStart();
        Ingest.FinishStop();
        using var cts = new CancellationTokenSource(ReceiveTimeout);
        await Host.StopAsync(cts.Token);
        Host.Dispose();
    }

    /// <summary>Stands in for the daemon's ingest service: start = open and migrate, stop = final commit.</summary>
    internal sealed class IngestStandIn : IHostedService
    {
        private readonly TaskCompletionSource _startFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stopFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stopBegan = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Started { get; private set; }

        public Task StopBegan => _stopBegan.Task;

        public void FinishStart() => _startFinished.TrySetResult();

        public void FinishStop() => _stopFinished.TrySetResult();

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await _startFinished.Task.WaitAsync(cancellationToken);
            Started = true;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            _stopBegan.TrySetResult();
            await _stopFinished.Task.WaitAsync(cancellationToken);
        }
    }
}
