using System.Globalization;

namespace EdgeStore.Storage.Tests.Support;

/// <summary>This process's memory mappings of one file, from /proc/self/maps.</summary>
public static class ProcMaps
{
    /// <summary>Sizes in bytes of every mapping whose path is exactly <paramref name="path"/> (not its -shm or -wal).</summary>
    public static IReadOnlyList<long> MappingSizes(string path)
    {
        var full = Path.GetFullPath(path);
        var sizes = new List<long>();
        foreach (var line in File.ReadAllLines("/proc/self/maps"))
        {
            // address perms offset dev inode path
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 6 || parts[5].Trim() != full)
            {
                continue;
            }

            var range = parts[0].Split('-');
            sizes.Add(long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) -
                      long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
        }

        return sizes;
    }
}
