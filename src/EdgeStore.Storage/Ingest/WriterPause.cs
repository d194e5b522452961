namespace EdgeStore.Storage;

/// <summary>
/// Holds the writer at a batch boundary until disposed (see <see cref="BatchWriter.PauseAsync"/>).
/// Disposing twice resumes once.
/// </summary>
internal sealed class WriterPause(BatchWriter writer, long pausedAtTimestamp) : IAsyncDisposable
{
    public long PausedAtTimestamp { get; } = pausedAtTimestamp;

    public ValueTask DisposeAsync()
    {
        writer.Resume(this);
        return ValueTask.CompletedTask;
    }
}
