namespace EdgeStore.Storage;

/// <summary>
/// Which stored messages to read. <paramref name="TopicMatches"/> selects series by topic (the host passes an MQTT
/// filter matcher; storage knows nothing of MQTT). The time range is on the broker receive time and half-open:
/// <paramref name="Since"/> inclusive, <paramref name="Until"/> exclusive; null means unbounded.
/// Results are ordered by receive time (then id), oldest first unless <paramref name="Descending"/>.
/// </summary>
public sealed record TelemetryQuery(Func<string, bool> TopicMatches, DateTimeOffset? Since, DateTimeOffset? Until, int? Limit, bool Descending);
