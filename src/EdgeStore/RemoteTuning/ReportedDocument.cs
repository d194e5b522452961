using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// The retained `config/reported` document: which desired version this answers and its status (applied, rejected,
/// rolled_back), the version in force (`appliedVersion`), every tunable's effective value, what the hard bounds
/// clamped, the errors of a rejected document, and why a change was rolled back.
/// </summary>
internal sealed record ReportedDocument(
    long? Version,
    string Status,
    long AppliedVersion,
    TunedValues Effective,
    IReadOnlyDictionary<string, JsonNode> Overrides,
    IReadOnlyList<ClampedSetting> Clamped,
    IReadOnlyList<TuningError> Errors,
    DateTimeOffset? AppliedAt,
    string? Reason)
{
    public JsonObject ToJson()
    {
        var clamped = new JsonArray();
        foreach (var c in Clamped)
        {
            clamped.Add((JsonNode)new JsonObject { ["path"] = c.Path, ["requested"] = c.Requested, ["applied"] = c.Applied, ["reason"] = c.Reason });
        }

        var errors = new JsonArray();
        foreach (var e in Errors)
        {
            errors.Add((JsonNode)new JsonObject { ["path"] = e.Path, ["code"] = e.Code, ["message"] = e.Message });
        }

        return new JsonObject
        {
            ["version"] = Version,
            ["status"] = Status,
            ["appliedVersion"] = AppliedVersion,
            ["effective"] = TuningResolver.ToNested(Effective),
            ["remote"] = TuningResolver.OverridesToNested(Overrides),
            ["clamped"] = clamped,
            ["errors"] = errors,
            ["appliedAt"] = AppliedAt is { } at ? ControlJson.Time(at) : null,
            ["reason"] = Reason,
        };
    }

    public byte[] ToUtf8() => ControlJson.ToUtf8(ToJson());
}
