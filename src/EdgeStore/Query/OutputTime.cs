using System.Globalization;

namespace EdgeStore.Query;

/// <summary>
/// How times are printed: ISO-8601 with millisecond precision, in UTC (`2026-05-01T12:00:00.000Z`, the default), or
/// with `--local-time` in the machine's time zone with its offset (`2026-05-01T14:00:00.000+02:00`), so a printed
/// time always names one instant.
/// </summary>
internal sealed class OutputTime
{
    private readonly TimeZoneInfo? _zone;

    private OutputTime(TimeZoneInfo? zone)
    {
        _zone = zone;
    }

    public static OutputTime Utc { get; } = new(null);

    public static OutputTime In(TimeZoneInfo zone) => new(zone);

    public static OutputTime For(bool localTime) => localTime ? In(TimeZoneInfo.Local) : Utc;

    public string Format(DateTimeOffset time) => _zone is null
        ? time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)
        : TimeZoneInfo.ConvertTime(time, _zone).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    public OutputCell Cell(DateTimeOffset? time) => time is { } value ? OutputCell.Of(Format(value)) : OutputCell.Null;
}
