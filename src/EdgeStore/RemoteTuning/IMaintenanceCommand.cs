using System.Text.Json.Nodes;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Runs a maintenance pass now, for `cmd/maintenance`, and returns its result as JSON for
/// `cmd/maintenance/result`. Provided by the maintenance capability; without it the command answers "unavailable".
/// </summary>
internal interface IMaintenanceCommand
{
    Task<JsonObject> RunNowAsync(CancellationToken ct);
}
