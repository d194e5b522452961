using System.Text.Json.Nodes;
using EdgeStore.Memory;

namespace EdgeStore.Status;

/// <summary>`pressureLevel` in metrics: the memory monitor's level (Normal, Elevated, Critical), or null without memory governance.</summary>
internal sealed class MemoryStatusContributor(MemoryPressureMonitor? monitor) : IStatusContributor
{
    public void Contribute(JsonObject metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        metrics["pressureLevel"] = monitor?.Level.ToString();
    }
}
