using System.Text.Json.Nodes;
using EdgeStore.Maintenance;

namespace EdgeStore.Status;

/// <summary>`lastMaintenance` in metrics: the last pass's result from the maintenance scheduler, or null (none yet, or no maintenance).</summary>
internal sealed class MaintenanceStatusContributor(MaintenanceScheduler? scheduler) : IStatusContributor
{
    public void Contribute(JsonObject metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        metrics["lastMaintenance"] = scheduler?.LastResult is { } result ? MaintenanceResultJson.From(result) : null;
    }
}
