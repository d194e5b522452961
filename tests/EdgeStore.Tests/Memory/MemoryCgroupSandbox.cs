using System.Globalization;
using EdgeStore.Memory;

namespace EdgeStore.Tests.Memory;

/// <summary>
/// A memory-limited child cgroup of this process's own cgroup, for tests that need real pressure. On a hybrid
/// host (this project's machines) the limit is v1 <c>memory.limit_in_bytes</c> and a v2 child is created beside it
/// for <c>memory.pressure</c>; on a unified host the v2 child gets <c>memory.max</c>. <see cref="TryCreate"/> says
/// why when the machine cannot do it. Processes join through <see cref="Launcher"/> (a shell that writes its
/// own PID into the cgroups, then execs). Removed on dispose once its processes are gone.
/// </summary>
internal sealed class MemoryCgroupSandbox : IDisposable
{
    private MemoryCgroupSandbox(string? v1Directory, string? v2Directory, long limitBytes)
    {
        V1Directory = v1Directory;
        V2Directory = v2Directory;
        LimitBytes = limitBytes;
    }

    public string? V1Directory { get; }

    public string? V2Directory { get; }

    public long LimitBytes { get; }

    public static MemoryCgroupSandbox? TryCreate(long limitBytes, out string whyNot)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            whyNot = $"needs root on Linux to create cgroups (running as {Environment.UserName} on {Environment.OSVersion})";
            return null;
        }

        var files = new MemoryFiles("/");
        var paths = CgroupLocator.Locate(files);
        var name = "edgestore-test-" + Guid.NewGuid().ToString("N")[..8];
        string? v1 = null;
        string? v2 = null;
        try
        {
            if (paths.V1MemoryDirectory is not null && Directory.Exists(paths.V1MemoryDirectory))
            {
                v1 = Path.Combine(paths.V1MemoryDirectory, name);
                Directory.CreateDirectory(v1);
                File.WriteAllText(Path.Combine(v1, "memory.limit_in_bytes"), limitBytes.ToString(CultureInfo.InvariantCulture));
            }

            if (paths.V2Directory is not null && Directory.Exists(paths.V2Directory))
            {
                v2 = Path.Combine(paths.V2Directory, name);
                Directory.CreateDirectory(v2);
                if (v1 is null)
                {
                    // Unified host: the limit lives in the v2 child (the parent must delegate the memory controller).
                    File.WriteAllText(Path.Combine(v2, "memory.max"), limitBytes.ToString(CultureInfo.InvariantCulture));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            whyNot = $"cannot create a memory cgroup here ({ex.Message}); cgroups found: {paths.Describe()}";
            TryRemove(v1);
            TryRemove(v2);
            return null;
        }

        if (v1 is null && v2 is null)
        {
            whyNot = $"no cgroup v1 memory controller or cgroup v2 tree for this process (found: {paths.Describe()})";
            return null;
        }

        whyNot = string.Empty;
        return new MemoryCgroupSandbox(v1, v2, limitBytes);
    }

    /// <summary>
    /// A launcher for <see cref="EdgeStore.Testing.EdgeStoreProcess"/>: a /bin/sh that writes its own PID into the
    /// cgroup(s), then execs the command it is given (so the PID the test holds is the command's).
    /// </summary>
    public IReadOnlyList<string> Launcher
    {
        get
        {
            var join = string.Empty;
            if (V1Directory is not null)
            {
                join += $"echo $$ > '{V1Directory}/cgroup.procs' && ";
            }

            if (V2Directory is not null)
            {
                join += $"echo $$ > '{V2Directory}/cgroup.procs' && ";
            }

            return ["/bin/sh", "-c", join + "exec \"$@\"", "sh"];
        }
    }

    /// <summary>OOM kills in the cgroup so far (v1 memory.oom_control, else v2 memory.events).</summary>
    public long OomKills()
    {
        var text = V1Directory is not null
            ? File.ReadAllText(Path.Combine(V1Directory, "memory.oom_control"))
            : File.ReadAllText(Path.Combine(V2Directory!, "memory.events"));
        return CgroupMemoryEvents.ParseKeyValues(text).GetValueOrDefault("oom_kill");
    }

    public string? ReadPressure() => V2Directory is null ? null : File.ReadAllText(Path.Combine(V2Directory, "memory.pressure"));

    public void Dispose()
    {
        // The processes are gone by now, but their exit may still be settling in the kernel: retry briefly.
        for (var attempt = 0; attempt < 50 && (Directory.Exists(V1Directory ?? "\0") || Directory.Exists(V2Directory ?? "\0")); attempt++)
        {
            TryRemove(V1Directory);
            TryRemove(V2Directory);
            Thread.Sleep(100);
        }
    }

    private static void TryRemove(string? directory)
    {
        try
        {
            if (directory is not null && Directory.Exists(directory))
            {
                Directory.Delete(directory); // rmdir: a cgroup directory is removed empty of processes, its files go with it
            }
        }
        catch (IOException)
        {
        }
    }
}
