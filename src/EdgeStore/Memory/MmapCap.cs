using EdgeStore.Storage;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Memory;

/// <summary>
/// The hard bound of C2 (docs/ARCHITECTURE.md): mmap_size never exceeds 25% of effective RAM, nor SQLite's own ceiling
/// (<see cref="SqliteConnectionFactory.EngineMmapCeilingBytes"/>). The one computation of the cap: the settings
/// loader (and so `edgestore config show`) and the daemon both use <see cref="Compute"/>. Configured and remotely requested values go
/// through <see cref="Clamp"/>; a clamp is logged once per source and value, and the last one is kept for
/// reporting. Nothing, local or remote, can raise the cap.
/// </summary>
internal sealed partial class MmapCap
{
    public const int PercentOfEffectiveMemory = 25;

    private readonly ILogger<MmapCap> _logger;
    private readonly Lock _gate = new();
    private readonly HashSet<(string Source, long Requested)> _loggedClamps = [];
    private MmapClampResult? _lastClamp;

    public MmapCap(EffectiveMemory effectiveMemory, ILogger<MmapCap> logger)
    {
        ArgumentNullException.ThrowIfNull(effectiveMemory);
        EffectiveMemory = effectiveMemory;
        _logger = logger;
        CapBytes = Compute(effectiveMemory.EffectiveBytes);
    }

    public EffectiveMemory EffectiveMemory { get; }

    public long CapBytes { get; }

    /// <summary>The most recent request that was clamped, or null when none was.</summary>
    public MmapClampResult? LastClamp
    {
        get
        {
            lock (_gate)
            {
                return _lastClamp;
            }
        }
    }

    /// <summary>min(25% of effective RAM, SQLite's ceiling), rounded down to a 4 KiB page.</summary>
    public static long Compute(long effectiveMemoryBytes)
    {
        var quarter = Math.Max(0, effectiveMemoryBytes) / (100 / PercentOfEffectiveMemory);
        return Math.Min(quarter, SqliteConnectionFactory.EngineMmapCeilingBytes) / 4096 * 4096;
    }

    /// <summary>Clamps a requested mmap size into [0, cap]. <paramref name="source"/> names the setting, e.g. "Storage:MmapSizeMiB".</summary>
    public MmapClampResult Clamp(long requestedBytes, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        var applied = Math.Clamp(requestedBytes, 0, CapBytes);
        var result = new MmapClampResult(source, requestedBytes, applied, CapBytes);
        if (!result.Clamped)
        {
            return result;
        }

        bool firstTime;
        lock (_gate)
        {
            _lastClamp = result;
            firstTime = _loggedClamps.Add((source, requestedBytes));
        }

        if (firstTime)
        {
            LogClamped(_logger, source, requestedBytes, applied, EffectiveMemory.EffectiveBytes, EffectiveMemory.Source, SqliteConnectionFactory.EngineMmapCeilingBytes);
        }

        return result;
    }

    [LoggerMessage(EventId = 4124, Level = LogLevel.Warning,
        Message = "{Source} asks for mmap {RequestedBytes}; clamped to {AppliedBytes} (25% of effective RAM {EffectiveMemoryBytes} from {EffectiveMemorySource}, at most SQLite's {EngineCeilingBytes})")]
    private static partial void LogClampedText(ILogger logger, string source, string requestedBytes, string appliedBytes, string effectiveMemoryBytes, string effectiveMemorySource, string engineCeilingBytes);

    private static void LogClamped(ILogger logger, string source, long requestedBytes, long appliedBytes, long effectiveMemoryBytes, string effectiveMemorySource, long engineCeilingBytes) =>
        LogClampedText(logger, source, ByteSize.Text(requestedBytes), ByteSize.Text(appliedBytes), ByteSize.Text(effectiveMemoryBytes), effectiveMemorySource, ByteSize.Text(engineCeilingBytes));
}
