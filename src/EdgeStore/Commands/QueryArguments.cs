namespace EdgeStore.Commands;

/// <summary>
/// The arguments of `edgestore query` as typed: <paramref name="Format"/> and <paramref name="Time"/> are checked by
/// <see cref="QueryCommand.RunAsync"/> (case-insensitive, unknown values refused with the allowed ones), and so is each
/// of <paramref name="Fields"/> (JSON paths).
/// </summary>
internal sealed record QueryArguments(
    string? ConfigFile,
    string? Database,
    string Topic,
    string? Since,
    string? Until,
    int? Limit,
    bool Descending,
    string Format = "table",
    IReadOnlyList<string>? Fields = null,
    string Time = "received",
    bool LocalTime = false);
