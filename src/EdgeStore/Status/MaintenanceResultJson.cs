using System.Text.Json.Nodes;
using EdgeStore.Maintenance;
using EdgeStore.RemoteTuning;

namespace EdgeStore.Status;

/// <summary>A maintenance pass's result as JSON, for metrics and `cmd/maintenance/result`.</summary>
internal static class MaintenanceResultJson
{
    public static JsonObject From(MaintenanceResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new JsonObject
        {
            ["trigger"] = result.Trigger,
            ["startedAt"] = ControlJson.Time(result.StartedAt),
            ["finishedAt"] = ControlJson.Time(result.FinishedAt),
            ["completed"] = result.Completed,
            ["stoppedBecause"] = result.StoppedBecause,
            ["messagesDeleted"] = result.MessagesDeleted,
            ["quarantineDeleted"] = result.QuarantineDeleted,
            ["mmapZeroVerified"] = result.MmapZeroVerified,
            ["vacuumed"] = result.Vacuumed,
            ["vacuumSkippedBecause"] = result.VacuumSkippedBecause,
            ["fileBytesBefore"] = result.FileBytesBefore,
            ["fileBytesAfter"] = result.FileBytesAfter,
            ["truncateCheckpointBusy"] = result.TruncateCheckpointBusy,
            ["quickCheck"] = result.QuickCheck,
            ["summary"] = result.Summary,
        };
    }
}
