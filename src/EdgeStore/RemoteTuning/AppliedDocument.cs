using System.Text.Json.Nodes;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// A set of remote overrides that was applied: the version of the desired document that produced it, the overrides by
/// dotted path (the merge of every document so far), when it was applied, and whether it survived probation
/// (a confirmed document is what a later change rolls back to).
/// </summary>
internal sealed record AppliedDocument(long Version, IReadOnlyDictionary<string, JsonNode> Overrides, DateTimeOffset AppliedAt, bool Confirmed);
