using System.CommandLine;
using System.CommandLine.Parsing;

namespace EdgeStore.Commands;

/// <summary>
/// Puts the command-line parser's errors in an operator's words: an unknown command or option with "did you mean", a
/// value that is not a number or not one of the allowed words with what is allowed, a missing value with what goes
/// there, and a pointer to the help of the command that was typed rather than the program's. The parser's own
/// messages name .NET types ("System.Nullable`1[System.Int32]") and say "Required command was not provided" for a typo.
/// </summary>
internal static class CommandLineErrors
{
    /// <summary>The lines to print for a parse that failed: each error, then where the help is.</summary>
    public static List<string> Describe(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var command = parseResult.CommandResult.Command;
        var path = CommandPath(parseResult.CommandResult);
        var lines = new List<string>();
        var unknownGiven = false;
        foreach (var error in parseResult.Errors)
        {
            if (Translate(error, parseResult, command, path, ref unknownGiven) is { } line && !lines.Contains(line))
            {
                lines.Add(line);
            }
        }

        // A value typed after a misspelt option is reported as a second unknown word: the option's line says it all.
        if (lines.Exists(l => l.Contains(": unknown option '", StringComparison.Ordinal)))
        {
            lines.RemoveAll(l => l.Contains(": unexpected argument '", StringComparison.Ordinal));
        }

        // "Required command was not provided" is only news when nothing unknown was typed in its place.
        if (command.Subcommands.Count > 0 && !unknownGiven)
        {
            lines.Add($"{path}: which command? one of {Names(command.Subcommands.Select(c => c.Name))}");
        }

        lines.Add($"Run '{path} --help' for {(command is RootCommand ? "the commands" : "its options")}.");
        return lines;
    }

    private static string? Translate(ParseError error, ParseResult parseResult, Command command, string path, ref bool unknownGiven)
    {
        var optionResult = error.SymbolResult as OptionResult ?? (error.SymbolResult as ArgumentResult)?.Parent as OptionResult;
        if (optionResult is not null)
        {
            return DescribeOptionValue(path, optionResult);
        }

        const string unrecognised = "Unrecognized command or argument '";
        if (error.Message.StartsWith(unrecognised, StringComparison.Ordinal))
        {
            unknownGiven = true;
            var token = error.Message[unrecognised.Length..].TrimEnd('.').TrimEnd('\'');
            if (token.StartsWith('-'))
            {
                var options = command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Distinct();
                return $"{path}: unknown option '{token}'{Suggest(token, options)}";
            }

            if (command.Subcommands.Count > 0)
            {
                var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
                var suggestion = Suggest(token, names);
                return $"{path}: unknown command '{token}'{(suggestion.Length > 0 ? suggestion : $"; the commands are {Names(names)}")}";
            }

            return $"{path}: unexpected argument '{token}' (quote a value that starts with # or holds spaces, e.g. --topic 'sensors/#')";
        }

        if (error.Message == "Required command was not provided.")
        {
            return null; // added once by Describe, unless an unknown command was typed
        }

        // "Option '--topic' is required."
        const string required = "Option '";
        if (error.Message.StartsWith(required, StringComparison.Ordinal) && error.Message.EndsWith("' is required.", StringComparison.Ordinal))
        {
            var name = error.Message[required.Length..^"' is required.".Length];
            var option = command.Options.FirstOrDefault(o => o.Name == name || o.Aliases.Contains(name));
            return $"{path}: {name} is required{(option is not null ? $" ({ExpectedValue(option)})" : string.Empty)}";
        }

        return $"{path}: {error.Message}";
    }

    private static string DescribeOptionValue(string path, OptionResult result)
    {
        var option = result.Option;
        var name = result.IdentifierToken?.Value ?? option.Name;
        var given = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
        if (given is null && result.IdentifierToken is null)
        {
            return $"{path}: {name} is required ({ExpectedValue(option)})";
        }

        if (given is null)
        {
            var hint = option.Name == "--topic" ? "; quote wildcards so the shell keeps them: --topic 'sensors/#'" : string.Empty;
            return $"{path}: {name} needs a value ({ExpectedValue(option)}){hint}";
        }

        // A custom parser's or validator's own message is already in words (OptionValues): keep it.
        var own = result.Errors.Select(e => e.Message).FirstOrDefault(m => !m.Contains("Cannot parse argument", StringComparison.Ordinal) && !m.Contains("not recognized", StringComparison.Ordinal));
        if (own is not null)
        {
            return own.StartsWith(path, StringComparison.Ordinal) ? own : $"{path}: {own}";
        }

        return $"{path}: {name} '{given}' is not {ExpectedValue(option)}";
    }

    /// <summary>What an option takes, in words: "a whole number", "one of text, json", "FILE".</summary>
    internal static string ExpectedValue(Option option)
    {
        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        if (type == typeof(int) || type == typeof(long))
        {
            return $"a whole number{(option.HelpName is { } help ? $" ({help})" : string.Empty)}";
        }

        if (type == typeof(double))
        {
            return "a number";
        }

        if (type == typeof(bool))
        {
            return "true or false";
        }

        if (type.IsEnum)
        {
            return $"one of {Names(Enum.GetNames(type).Select(n => n.ToLowerInvariant()))}";
        }

        return option.HelpName ?? "a value";
    }

    /// <summary>"; did you mean 'query'?" when one candidate is close to <paramref name="typed"/>, else empty.</summary>
    internal static string Suggest(string typed, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (Name: c, Distance: Distance(typed.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(c => c.Distance <= Math.Max(1, Math.Min(3, c.Name.Length / 3)) || c.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase) && typed.TrimStart('-').Length >= 2)
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        return best.Name is null ? string.Empty : $"; did you mean '{best.Name}'?";
    }

    internal static string Names(IEnumerable<string> names) => string.Join(", ", names);

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? current = result; current is not null; current = current.Parent)
        {
            if (current is CommandResult commandResult)
            {
                names.Add(commandResult.Command is RootCommand ? "edgestore" : commandResult.Command.Name);
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    // Levenshtein distance, for "did you mean"; the words are a dozen characters at most.
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
