using System.Text.Json.Nodes;
using EdgeStore.Maintenance;
using EdgeStore.Status;

namespace EdgeStore.RemoteTuning;

/// <summary>`cmd/maintenance` through the maintenance scheduler: one pass now, under the same mmap-0 protocol as a window.</summary>
internal sealed class SchedulerMaintenanceCommand(MaintenanceScheduler scheduler) : IMaintenanceCommand
{
    public async Task<JsonObject> RunNowAsync(CancellationToken ct) => MaintenanceResultJson.From(await scheduler.RunNowAsync(ct));
}
