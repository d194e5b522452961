using System.Text.Json.Nodes;

namespace EdgeStore.Status;

/// <summary>
/// Adds a capability's own facts to each `metrics` document (the memory governor its pressure level, maintenance its
/// last result). Called from the publisher's loop; must be quick and must not throw.
/// </summary>
internal interface IStatusContributor
{
    void Contribute(JsonObject metrics);
}
