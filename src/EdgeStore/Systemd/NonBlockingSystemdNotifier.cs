using System.Threading.Channels;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Systemd;

/// <summary>
/// The sd_notify transport of Microsoft.Extensions.Hosting.Systemd (its <see cref="SystemdNotifier"/>, which opens a
/// blocking datagram socket per message and lets a failed connect or send throw) behind a bounded queue and one sender
/// task. Callers (SystemdLifetime's ApplicationStarted/ApplicationStopping callbacks, the watchdog, status and timeout
/// timers) therefore never block on a service manager that stopped draining its socket and never see its exceptions:
/// a lost notification must never stop ingestion (docs/ARCHITECTURE.md, C6). States go out in the order given.
/// </summary>
internal sealed partial class NonBlockingSystemdNotifier : ISystemdNotifier, IDisposable, IAsyncDisposable
{
    /// <summary>
    /// States held while the manager is not taking them. The daemon sends a few per watchdog interval, so this covers
    /// minutes of a stalled manager; beyond it new states are dropped (and counted) rather than held without limit.
    /// </summary>
    public const int Capacity = 64;

    /// <summary>How long disposal waits for queued states (the final STATUS=) to reach the manager.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(2);

    private const string ReadyState = "READY=1";

    private readonly ISystemdNotifier _transport;
    private readonly ILogger _logger;
    private readonly Channel<ServiceState> _queue = Channel.CreateBounded<ServiceState>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Task _sender;
    private long _dropped;
    private volatile bool _closed;
    private bool _failing;

    /// <param name="transport">The package's <see cref="SystemdNotifier"/>; a test double in tests.</param>
    /// <param name="logger">Where failed and recovered sends are reported.</param>
    public NonBlockingSystemdNotifier(ISystemdNotifier transport, ILogger<NonBlockingSystemdNotifier> logger)
    {
        _transport = transport;
        _logger = logger;
        _sender = transport.IsEnabled ? Task.Run(SendQueuedAsync) : Task.CompletedTask;
    }

    public bool IsEnabled => _transport.IsEnabled;

    /// <summary>States dropped because <see cref="Capacity"/> states were already waiting.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues <paramref name="state"/> and returns at once; never throws. After disposal states are ignored.</summary>
    public void Notify(ServiceState state)
    {
        if (!IsEnabled || _closed || _queue.Writer.TryWrite(state))
        {
            return;
        }

        if (Interlocked.Increment(ref _dropped) == 1)
        {
            LogQueueFull(_logger, Capacity, state.ToString());
        }
    }

    public void Dispose()
    {
        _closed = true;
        _queue.Writer.TryComplete();
    }

    public async ValueTask DisposeAsync()
    {
        Dispose();
        try
        {
            await _sender.WaitAsync(FlushTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The manager is not draining its socket; the process exits without the last states, as it would have to anyway.
        }
    }

    private async Task SendQueuedAsync()
    {
        await foreach (var state in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Send(state);
        }
    }

    // A send can block (the manager's queue is full) only this task, never a caller.
    private void Send(ServiceState state)
    {
        try
        {
            _transport.Notify(state);
        }
#pragma warning disable CA1031 // Whatever the socket throws (gone, refused, path too long), ingestion goes on.
        catch (Exception e)
#pragma warning restore CA1031
        {
            if (!_failing)
            {
                _failing = true;
                LogSendFailed(_logger, state.ToString(), e.Message);
            }

            return;
        }

        if (_failing)
        {
            _failing = false;
            LogSendRecovered(_logger);
        }

        if (state.ToString() == ReadyState)
        {
            LogReady(_logger);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Told systemd the daemon is ready (database open and migrated)")]
    private static partial void LogReady(ILogger logger);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning,
        Message = "Could not send {State} to systemd's notify socket: {Reason}; further failures are not logged until a send succeeds (a lost READY=1 times the unit out, a lost WATCHDOG=1 restarts it)")]
    private static partial void LogSendFailed(ILogger logger, string state, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "systemd's notify socket takes notifications again")]
    private static partial void LogSendRecovered(ILogger logger);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning,
        Message = "systemd has not taken the last {Capacity} notifications; dropping {State} and later ones until it does")]
    private static partial void LogQueueFull(ILogger logger, int capacity, string state);
}
