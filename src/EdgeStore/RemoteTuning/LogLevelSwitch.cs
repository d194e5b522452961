using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// The log level remote tuning changes live. The logger factory already follows IOptionsMonitor&lt;LoggerFilterOptions&gt;:
/// this switch is a configure step for those options (run after the host's own, so it decides the minimum level) and
/// the change-token source that makes the factory re-read them, so a new level applies to every existing logger at once.
/// </summary>
internal sealed class LogLevelSwitch : IConfigureOptions<LoggerFilterOptions>, IOptionsChangeTokenSource<LoggerFilterOptions>
{
    private readonly Lock _gate = new();
    private CancellationTokenSource _changed = new();
    private LogLevel _level;

    public LogLevelSwitch(LogLevel initial) => _level = initial;

    public string? Name => Options.DefaultName;

    public LogLevel Level
    {
        get
        {
            lock (_gate)
            {
                return _level;
            }
        }
    }

    public void Set(LogLevel level)
    {
        CancellationTokenSource previous;
        lock (_gate)
        {
            if (_level == level)
            {
                return;
            }

            _level = level;
            previous = _changed;
            _changed = new CancellationTokenSource();
        }

        previous.Cancel();
        previous.Dispose();
    }

    public void Configure(LoggerFilterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MinLevel = Level;
    }

    public IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }
}
