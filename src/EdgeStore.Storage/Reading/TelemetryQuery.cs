namespace EdgeStore.Storage;

/// <summary>
/// Which stored messages to read. <paramref name="TopicMatches"/> selects series by topic (the host passes an MQTT
/// filter matcher; storage knows nothing of MQTT). The time range is half-open: <paramref name="Since"/> inclusive,
/// <paramref name="Until"/> exclusive; null means unbounded. It is on the time EdgeStore received a message, or with
/// <paramref name="ByDeviceTime"/> on the device's own timestamp, in which case rows without one are left out.
/// Results are ordered by that time (then id), oldest first unless <paramref name="Descending"/>.
/// </summary>
public sealed record TelemetryQuery(
    Func<string, bool> TopicMatches,
    DateTimeOffset? Since,
    DateTimeOffset? Until,
    int? Limit,
    bool Descending,
    bool ByDeviceTime = false);
