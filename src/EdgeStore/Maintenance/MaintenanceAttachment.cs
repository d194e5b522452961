using EdgeStore.Status;
using EdgeStore.Storage;
using EdgeStore.Storage.Forwarding;
using EdgeStore.Storage.Maintenance;
using EdgeStore.Uplink;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Maintenance;

/// <summary>
/// Where the start-up service hands the open database and its batch writer to maintenance (they are
/// opened asynchronously at start, after DI is built). Until attached, the scheduler and the WAL
/// guard wait; the disk guard's DeleteOldest does nothing. Also what the memory governor asks
/// (<see cref="HoldsMmapAtZero"/>, <see cref="ApplyLimitsAsync"/>) before it raises mmap_size.
/// </summary>
internal sealed class MaintenanceAttachment
{
    private readonly MmapRestoreLimit _limitSource;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly DaemonStatus? _status;
    private TaskCompletionSource<MaintenanceCoordinator> _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MaintenanceAttachment(MmapRestoreLimit limitSource, TimeProvider timeProvider, ILoggerFactory loggerFactory, DaemonStatus? status = null, UplinkState? uplink = null)
    {
        Uplink = uplink;
        _limitSource = limitSource;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _status = status;
    }

    public MaintenanceCoordinator? Coordinator { get; private set; }

    /// <summary>What retention and DeleteOldest do with rows the uplink has not forwarded (null: rows go by age alone).</summary>
    public UplinkState? Uplink { get; }

    public bool HoldsMmapAtZero => Coordinator?.HoldsMmapAtZero ?? false;

    public Task<T> ApplyLimitsAsync<T>(Func<bool, Task<T>> apply, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(apply);
        return Coordinator is { } coordinator ? coordinator.ApplyLimitsAsync(apply, ct) : apply(false);
    }

    /// <summary>Called by the start-up service once the database is open and its writer created.</summary>
    public void Attach(TelemetryDatabase database, BatchWriter writer) => Attach(new TelemetryMaintenanceDatabase(database, writer));

    public void Attach(IMaintenanceDatabase database)
    {
        var coordinator = new MaintenanceCoordinator(database, _limitSource, _timeProvider, _loggerFactory.CreateLogger<MaintenanceCoordinator>(), _status);
        Coordinator = coordinator;
        _attached.TrySetResult(coordinator);
    }

    /// <summary>Called before the writer is disposed: maintenance stops using it.</summary>
    public void Detach()
    {
        Coordinator = null;
        if (_attached.Task.IsCompleted)
        {
            _attached = new TaskCompletionSource<MaintenanceCoordinator>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public Task<MaintenanceCoordinator> WaitAttachedAsync(CancellationToken ct) => _attached.Task.WaitAsync(ct);

    public async Task<int> DeleteOldestAsync(long wantFreeBytes, int maxRows, CancellationToken ct)
    {
        if (Coordinator is not { } coordinator)
        {
            return 0;
        }

        // Deleting rows never shrinks the file (no auto_vacuum): safe outside a window, no mmap protocol needed.
        // Unforwarded rows are kept (acks then stop if that is not enough) unless the operator allowed dropping them.
        var rule = Uplink?.RetentionRule(ForwardStream.Messages) ?? UnforwardedRows.NotForwarded;
        var chunk = await coordinator.Database.RunOnWriterAsync(
            async (connection, token) =>
                DatabaseSpaceReport.Read(connection).FreeBytes >= wantFreeBytes
                    ? default
                    : await RetentionSweep.DeleteOldestMessagesAsync(connection, maxRows, rule, token),
            ct);
        Uplink?.CountDropped(ForwardStream.Messages, chunk.UnforwardedDeleted, "disk guard, DiskFullPolicy DeleteOldest");
        return chunk.Deleted;
    }
}
