using EdgeStore.Configuration;
using Microsoft.Extensions.Options;

namespace EdgeStore.Memory;

/// <summary>
/// Checks section "Memory" against the ranges in docs/MEMORY.md. <see cref="Check"/> gives (field, reason) pairs for
/// the daemon's settings validation (exit code 2, "Memory:PollIntervalMs: must be ..."); as an options validator it
/// fails start-up with "Memory:PollIntervalMs must be ...".
/// </summary>
internal sealed class MemorySettingsValidator : IValidateOptions<MemorySettings>
{
    public ValidateOptionsResult Validate(string? name, MemorySettings options)
    {
        var problems = Check(options);
        return problems.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(problems.Select(p => $"{MemorySettings.SectionName}:{p.Field} {p.Reason}"));
    }

    public static IReadOnlyList<(string Field, string Reason)> Check(MemorySettings options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<(string Field, string Reason)>();
        Range(errors, nameof(MemorySettings.PollIntervalMs), options.PollIntervalMs, 100, 60_000, "ms");
        Range(errors, nameof(MemorySettings.StepDownHoldSeconds), options.StepDownHoldSeconds, 0, 3600, "s");
        Range(errors, nameof(MemorySettings.CalmPeriodSeconds), options.CalmPeriodSeconds, 1, 86_400, "s");
        Range(errors, nameof(MemorySettings.CriticalCacheSizeKiB), options.CriticalCacheSizeKiB, 64, 1_048_576, "KiB");
        Range(errors, nameof(MemorySettings.ElevatedMmapPercent), options.ElevatedMmapPercent, 1, 99, "percent");

        Pair(errors, nameof(MemorySettings.ElevatedSomeStallPercent), options.ElevatedSomeStallPercent, nameof(MemorySettings.CriticalSomeStallPercent), options.CriticalSomeStallPercent, rising: true);
        Pair(errors, nameof(MemorySettings.ElevatedFullStallPercent), options.ElevatedFullStallPercent, nameof(MemorySettings.CriticalFullStallPercent), options.CriticalFullStallPercent, rising: true);
        Pair(errors, nameof(MemorySettings.ElevatedCgroupUsagePercent), options.ElevatedCgroupUsagePercent, nameof(MemorySettings.CriticalCgroupUsagePercent), options.CriticalCgroupUsagePercent, rising: true);
        Pair(errors, nameof(MemorySettings.ElevatedAvailablePercent), options.ElevatedAvailablePercent, nameof(MemorySettings.CriticalAvailablePercent), options.CriticalAvailablePercent, rising: false);
        if (string.IsNullOrWhiteSpace(options.FilesRoot) || !Path.IsPathRooted(options.FilesRoot))
        {
            errors.Add((nameof(MemorySettings.FilesRoot), $"must be an absolute path (was '{options.FilesRoot}')"));
        }

        return errors;
    }

    private static void Range(List<(string, string)> errors, string field, int value, int min, int max, string unit)
    {
        if (value < min || value > max)
        {
            errors.Add((field, $"must be between {min} and {max} {unit} (was {value})"));
        }
    }

    // Each threshold is a percentage; the Critical one must be the worse of the pair, or Elevated could never be reached.
    private static void Pair(List<(string, string)> errors, string elevatedField, int elevated, string criticalField, int critical, bool rising)
    {
        foreach (var (field, value) in new[] { (elevatedField, elevated), (criticalField, critical) })
        {
            if (value is < 0 or > 100)
            {
                errors.Add((field, $"must be between 0 and 100 percent (was {value})"));
                return;
            }
        }

        if (rising ? critical < elevated : critical > elevated)
        {
            errors.Add((criticalField, $"must be {(rising ? "at least" : "at most")} {elevatedField} ({elevated}) (was {critical})"));
        }
    }
}
