namespace EdgeStore.RemoteTuning;

/// <summary>One reason a desired document was rejected: the dotted path it concerns (`ingest.maxBatchRows`), a code from <see cref="TuningErrorCode"/>, and a sentence.</summary>
internal sealed record TuningError(string Path, string Code, string Message);
