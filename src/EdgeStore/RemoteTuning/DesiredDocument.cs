using System.Text.Json.Nodes;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// A desired document that passed validation: its version and the settings it changes, by dotted path, each value
/// already normalized. A null value removes the remote override of that setting, so the local value applies again.
/// </summary>
internal sealed record DesiredDocument(long Version, IReadOnlyDictionary<string, JsonNode?> Changes);
