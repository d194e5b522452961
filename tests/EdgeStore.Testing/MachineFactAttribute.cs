using Xunit;

namespace EdgeStore.Testing;

/// <summary>
/// A fact that needs more of the machine than the other tests: root, and the programs it names on PATH. Where they
/// are missing the test is reported as skipped with the reason (xunit 2 has no skip from inside a test, so the
/// attribute decides before the test runs); it never passes without having run. Under CI (<c>CI=true</c>, where
/// scripts/install-deps.sh has installed everything and the job runs as root) nothing is skipped: a missing
/// requirement there fails the test with the same reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class MachineFactAttribute : FactAttribute
{
    public MachineFactAttribute(bool root, params string[] programs)
    {
        ArgumentNullException.ThrowIfNull(programs);
        Reason = MachineRequirements.WhyNot(root, programs);
        if (Reason is not null && !MachineRequirements.IsCi)
        {
            Skip = Reason;
        }
    }

    /// <summary>Why this machine cannot run the test, or null when it can.</summary>
    public string? Reason { get; }
}

/// <summary>What <see cref="MachineFactAttribute"/> checks, also for a test to fail loudly with under CI.</summary>
public static class MachineRequirements
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsRoot => OperatingSystem.IsLinux() && Environment.UserName == "root";

    /// <summary>Null when the requirements hold, else a sentence naming each missing one and how to get it.</summary>
    public static string? WhyNot(bool root, params string[] programs)
    {
        ArgumentNullException.ThrowIfNull(programs);
        var missing = new List<string>();
        if (root && !IsRoot)
        {
            missing.Add($"needs root on Linux (running as {Environment.UserName} on {Environment.OSVersion})");
        }

        foreach (var program in programs)
        {
            if (FindOnPath(program) is null)
            {
                missing.Add($"needs {program} on PATH (scripts/install-deps.sh installs it)");
            }
        }

        return missing.Count == 0 ? null : string.Join("; ", missing);
    }

    /// <summary>The full path of <paramref name="program"/> found on PATH (or in the sbin directories), else null.</summary>
    public static string? FindOnPath(string program)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        return directories.Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
    }
}
