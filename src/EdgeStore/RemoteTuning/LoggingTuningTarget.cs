using Microsoft.Extensions.Logging;

namespace EdgeStore.RemoteTuning;

/// <summary>Applies `logging.level` through the <see cref="LogLevelSwitch"/>.</summary>
internal sealed class LoggingTuningTarget(LogLevelSwitch levelSwitch) : ILiveTuningTarget
{
    public string Name => "logging";

    public ValueTask ApplyAsync(TunedValues previous, TunedValues next, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(next);
        levelSwitch.Set(Enum.Parse<LogLevel>(next.LogLevel, ignoreCase: true));
        return ValueTask.CompletedTask;
    }
}
