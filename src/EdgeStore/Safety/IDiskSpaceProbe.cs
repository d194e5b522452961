namespace EdgeStore.Safety;

/// <summary>Free and total bytes of the filesystem holding a path (statvfs).</summary>
internal interface IDiskSpaceProbe
{
    DiskSpace Measure(string path);
}
