using EdgeStore.Configuration;

namespace EdgeStore.Commands;

/// <summary>Prints configuration errors the one way operators and tests read them.</summary>
internal static class ConfigurationErrors
{
    public static int Report(IReadOnlyList<SettingsError> errors, TextWriter error)
    {
        foreach (var problem in errors)
        {
            error.WriteLine($"edgestore: invalid configuration: {problem}");
        }

        return ExitCodes.InvalidInput;
    }
}
