using EdgeStore.Query;

namespace EdgeStore.Commands;

/// <summary>The parsed arguments of `edgestore query`.</summary>
internal sealed record QueryArguments(
    string? ConfigFile,
    string? Database,
    string Topic,
    string? Since,
    string? Until,
    int? Limit,
    bool Descending,
    QueryOutputFormat Format);
