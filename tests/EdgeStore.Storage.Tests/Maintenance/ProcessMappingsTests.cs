using EdgeStore.Storage.Maintenance;

namespace EdgeStore.Storage.Tests.Maintenance;

public sealed class ProcessMappingsTests
{
    [Fact]
    public void Maps_lines_of_one_file_are_sized_exactly()
    {
        const string maps =
            "7f0000000000-7f0002000000 r--s 00000000 08:01 1234                       /data/edge store.db\n" +
            "7f0003000000-7f0003008000 rw-s 00000000 08:01 1236                       /data/edge store.db-shm\n" +
            "7f0004000000-7f0005000000 r--s 00000000 08:01 1234                       /data/edge store.db\n" +
            "7f0006000000-7f0006001000 rw-p 00000000 00:00 0 \n";

        var mappings = ProcessMappings.Parse(maps, "/data/edge store.db");

        Assert.Equal([32L * 1024 * 1024, 16L * 1024 * 1024], mappings.SizesBytes);
        Assert.Equal(1, mappings.CountLargerThan(16L * 1024 * 1024));
        Assert.Equal(0, ProcessMappings.Parse(null, "/x").Count);
    }
}
