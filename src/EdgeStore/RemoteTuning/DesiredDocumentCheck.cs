namespace EdgeStore.RemoteTuning;

/// <summary>The outcome of checking a desired document: the document when valid, else every error; the version when it could be read.</summary>
internal sealed record DesiredDocumentCheck(long? Version, DesiredDocument? Document, IReadOnlyList<TuningError> Errors)
{
    public bool IsValid => Document is not null && Errors.Count == 0;
}
