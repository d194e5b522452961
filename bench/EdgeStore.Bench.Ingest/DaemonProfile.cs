using System.Globalization;
using System.Text.RegularExpressions;
using EdgeStore.Testing;

namespace EdgeStore.Bench.Ingest;

/// <summary>
/// A flat CPU profile of the daemon with Linux perf (cpu-clock sampling, so it works in VMs without PMU access).
/// The daemon runs with DOTNET_PerfMapEnabled=1 so JIT-compiled .NET methods have names in the report.
/// Started when the first row is stored, stopped before the daemon is.
/// </summary>
internal sealed class DaemonProfile
{
    private readonly string _dataPath;
    private readonly int _daemonPid;
    private ChildProcess? _recorder;

    public DaemonProfile(string directory, int daemonPid)
    {
        _dataPath = Path.Combine(directory, "perf.data");
        _daemonPid = daemonPid;
    }

    public static bool IsAvailable => File.Exists("/usr/bin/perf");

    public void Start()
    {
        _recorder ??= ChildProcess.Start(
            "/usr/bin/perf",
            ["record", "-e", "cpu-clock", "-F", "499", "-p", _daemonPid.ToString(CultureInfo.InvariantCulture), "-o", _dataPath, "--quiet"]);
    }

    /// <summary>Stops recording and returns the report: self time by shared object, then by symbol (top lines).</summary>
    public async Task<string> StopAsync()
    {
        if (_recorder is null)
        {
            return "perf: never started (no row was stored)";
        }

        // perf record writes its file and exits on SIGINT.
        if (!_recorder.HasExited)
        {
            UnixSignal.Send(_recorder.ProcessId, UnixSignal.SigInt);
        }

        await _recorder.WaitForExitAsync(TimeSpan.FromSeconds(60));
        _recorder.Dispose();
        var byObject = await ReportAsync("dso", 12);
        var bySymbol = await ReportAsync("dso,symbol", 30);
        foreach (var map in new[] { $"/tmp/perf-{_daemonPid}.map", $"/tmp/perfinfo-{_daemonPid}.map" })
        {
            File.Delete(map);
        }

        return byObject + "\n" + bySymbol;
    }

    /// <summary>perf pads columns to the longest symbol and appends empty "-  -" columns; neither helps a reader.</summary>
    private static string Compact(string row) =>
        Regex.Replace(Regex.Replace(row.Trim(), @"(\s+-)+\s*$", string.Empty), @"\s{2,}", "  ");

    private async Task<string> ReportAsync(string sort, int lines)
    {
        using var report = ChildProcess.Start(
            "/usr/bin/perf",
            ["report", "-i", _dataPath, "--stdio", "--no-children", "--sort", sort, "--percent-limit", "0.5"]);
        await report.WaitForExitAsync(TimeSpan.FromSeconds(120));
        var rows = report.Output.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Take(lines);
        return $"  perf self time by {sort}:\n" + string.Join('\n', rows.Select(r => "    " + Compact(r)));
    }
}
