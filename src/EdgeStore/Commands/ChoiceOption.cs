using System.CommandLine;

namespace EdgeStore.Commands;

/// <summary>
/// An option whose value is one word from a fixed list (--format, --time), matched the same way by every command:
/// case-insensitively, returned in lower case, and refused with the allowed words when it is not one of them.
/// </summary>
internal static class ChoiceOption
{
    public static Option<string> Create(string name, string description, string defaultValue, params string[] allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var option = new Option<string>(name)
        {
            Description = $"{description} One of {CommandLineErrors.Names(allowed)}.",
            HelpName = string.Join('|', allowed),
            DefaultValueFactory = _ => defaultValue,
        };
        option.CustomParser = result =>
        {
            var given = result.Tokens.Count > 0 ? result.Tokens[^1].Value : defaultValue;
            var match = Array.Find(allowed, a => string.Equals(a, given, StringComparison.OrdinalIgnoreCase));
            if (match is null)
            {
                result.AddError($"{name} '{given}' is not one of {CommandLineErrors.Names(allowed)}{CommandLineErrors.Suggest(given, allowed)}");
            }

            return match ?? defaultValue;
        };
        return option;
    }
}
