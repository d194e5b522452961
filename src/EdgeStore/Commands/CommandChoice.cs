namespace EdgeStore.Commands;

/// <summary>
/// An option whose value is one of a few words (`--format`, `--time`): matched case-insensitively against the enum's
/// names, and an unknown value is refused with the allowed ones listed. The options are plain strings on purpose:
/// System.CommandLine's own enum parsing prints .NET type names at an operator.
/// </summary>
internal static class CommandChoice
{
    public static bool TryParse<TEnum>(string command, string option, string text, TextWriter error, out TEnum value)
        where TEnum : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(candidate.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        // Worded as ChoiceOption words a refused value at parse time, so every command says it the same way.
        error.WriteLine($"edgestore {command}: {option} '{text}' is not one of {Allowed<TEnum>()}{CommandLineErrors.Suggest(text, Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()))}");
        error.WriteLine($"Run 'edgestore {command} --help' for its options.");
        return false;
    }

    /// <summary>The allowed words, lower case, in declaration order: "table, csv, jsonl".</summary>
    public static string Allowed<TEnum>()
        where TEnum : struct, Enum =>
        string.Join(", ", Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()));
}
