namespace EdgeStore.Storage;

/// <summary>
/// Which quarantined messages to read: a half-open receive-time range (<paramref name="Since"/> inclusive,
/// <paramref name="Until"/> exclusive, null unbounded), at most <paramref name="Limit"/> rows, oldest first unless
/// <paramref name="Descending"/>.
/// </summary>
public sealed record QuarantineQuery(DateTimeOffset? Since, DateTimeOffset? Until, int? Limit, bool Descending);
