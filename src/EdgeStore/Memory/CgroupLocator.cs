using System.Text;

namespace EdgeStore.Memory;

/// <summary>
/// Finds EdgeStore's own cgroup: the path of each hierarchy from /proc/self/cgroup
/// (v2 "0::/path"; v1 "N:memory:/path", also combined lists such as "N:cpu,memory:/path"; hybrid hosts list both),
/// and where each hierarchy is mounted from /proc/self/mountinfo (v2 at /sys/fs/cgroup on unified hosts,
/// /sys/fs/cgroup/unified on hybrid ones). A hierarchy that is not listed or not mounted is simply absent.
/// </summary>
internal static class CgroupLocator
{
    public const string SelfCgroupPath = "/proc/self/cgroup";
    public const string SelfMountInfoPath = "/proc/self/mountinfo";

    public static CgroupPaths Locate(MemoryFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var membership = ParseSelfCgroup(files.TryReadText(SelfCgroupPath));
        var mounts = ParseMountInfo(files.TryReadText(SelfMountInfoPath));

        string? v2Directory = null;
        string? v2Mount = null;
        if (membership.V2Path is not null)
        {
            var mount = mounts.FirstOrDefault(m => m.FileSystemType == "cgroup2" && IsUnder(membership.V2Path, m.Root))
                ?? mounts.FirstOrDefault(m => m.FileSystemType == "cgroup2");
            if (mount is not null)
            {
                v2Mount = mount.MountPoint;
                v2Directory = Combine(mount, membership.V2Path);
            }
        }

        string? v1Directory = null;
        string? v1Mount = null;
        if (membership.V1MemoryPath is not null)
        {
            var mount = mounts.FirstOrDefault(m => m.FileSystemType == "cgroup" && m.HasSuperOption("memory") && IsUnder(membership.V1MemoryPath, m.Root))
                ?? mounts.FirstOrDefault(m => m.FileSystemType == "cgroup" && m.HasSuperOption("memory"));
            if (mount is not null)
            {
                v1Mount = mount.MountPoint;
                v1Directory = Combine(mount, membership.V1MemoryPath);
            }
        }

        return new CgroupPaths(v2Directory, v2Mount, v1Directory, v1Mount);
    }

    /// <summary>The v2 path ("0::") and the v1 memory controller's path from /proc/self/cgroup text.</summary>
    public static (string? V2Path, string? V1MemoryPath) ParseSelfCgroup(string? text)
    {
        string? v2 = null;
        string? v1Memory = null;
        if (text is null)
        {
            return (null, null);
        }

        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // hierarchy-ID:controller-list:path; the path itself may contain ':' so split only twice.
            var parts = line.Split(':', 3);
            if (parts.Length != 3 || parts[2].Length == 0 || parts[2][0] != '/')
            {
                continue;
            }

            if (parts[0] == "0" && parts[1].Length == 0)
            {
                v2 = parts[2];
            }
            else if (parts[1].Split(',').Contains("memory", StringComparer.Ordinal))
            {
                v1Memory = parts[2];
            }
        }

        return (v2, v1Memory);
    }

    /// <summary>The cgroup mounts in /proc/self/mountinfo (other file systems are skipped).</summary>
    public static IReadOnlyList<CgroupMount> ParseMountInfo(string? text)
    {
        var result = new List<CgroupMount>();
        if (text is null)
        {
            return result;
        }

        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // id parent major:minor root mount-point options [optional fields...] - fstype source super-options
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length < 6 || separator < 0 || separator + 1 >= fields.Length)
            {
                continue;
            }

            var fileSystemType = fields[separator + 1];
            if (fileSystemType is not ("cgroup" or "cgroup2"))
            {
                continue;
            }

            var superOptions = separator + 3 < fields.Length ? fields[separator + 3] : string.Empty;
            result.Add(new CgroupMount(Unescape(fields[3]), Unescape(fields[4]), fileSystemType, superOptions));
        }

        return result;
    }

    private static bool IsUnder(string cgroupPath, string mountRoot) =>
        mountRoot == "/" || cgroupPath == mountRoot || cgroupPath.StartsWith(mountRoot + "/", StringComparison.Ordinal);

    // A mount whose root is a sub-tree (containers without a cgroup namespace) shows the host path in
    // /proc/self/cgroup: strip the mount's root so the rest is relative to the mount point.
    private static string Combine(CgroupMount mount, string cgroupPath)
    {
        var relative = cgroupPath;
        if (mount.Root != "/" && IsUnder(cgroupPath, mount.Root))
        {
            relative = cgroupPath[mount.Root.Length..];
        }
        else if (mount.Root != "/")
        {
            relative = "/";
        }

        relative = relative.TrimEnd('/');
        return relative.Length == 0 ? mount.MountPoint : mount.MountPoint.TrimEnd('/') + relative;
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo octal.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                builder.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}

/// <summary>One cgroup or cgroup2 line of /proc/self/mountinfo.</summary>
internal sealed record CgroupMount(string Root, string MountPoint, string FileSystemType, string SuperOptions)
{
    public bool HasSuperOption(string option) =>
        SuperOptions.Split(',').Contains(option, StringComparer.Ordinal);
}
