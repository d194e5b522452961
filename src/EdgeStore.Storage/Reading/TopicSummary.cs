namespace EdgeStore.Storage;

/// <summary>
/// One topic's stored rows: how many, and the first and last receive time (both null when retention has removed every
/// row of a topic whose series is still known).
/// </summary>
public sealed record TopicSummary(string Topic, long Rows, DateTimeOffset? FirstReceivedAt, DateTimeOffset? LastReceivedAt);
