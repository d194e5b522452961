namespace EdgeStore.Storage;

/// <summary>One series: a topic EdgeStore has stored messages for.</summary>
public sealed record SeriesInfo(long Id, string Topic);
