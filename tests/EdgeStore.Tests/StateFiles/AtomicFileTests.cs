using System.Text;
using EdgeStore.StateFiles;

namespace EdgeStore.Tests.StateFiles;

public sealed class AtomicFileTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("edgestore-atomic-file-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_file_is_replaced_whole_in_a_directory_it_creates(bool syncToDisk)
    {
        var path = Path.Combine(_directory.FullName, "sub", "state.json");

        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes("first"), syncToDisk);
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes("second"), syncToDisk);

        Assert.Equal("second", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void A_failed_write_keeps_the_old_file_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_directory.FullName, "state.json");
        File.WriteAllText(path, "old");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream => { stream.WriteByte(1); throw new IOException("disk full"); }, syncToDisk: true));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_directory.FullName));
    }
}
