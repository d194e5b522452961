using EdgeStore.Query;

namespace EdgeStore.Commands;

/// <summary>
/// `--since` and `--until` of the reading commands: each a duration back from now (10m, 2h, 7d) or an ISO-8601 time
/// (UTC unless it carries an offset), checked before the database is touched.
/// </summary>
internal static class CommandTimeRange
{
    public static bool TryParse(
        string command, string? sinceText, string? untilText, DateTimeOffset now, TextWriter error, out DateTimeOffset? since, out DateTimeOffset? until)
    {
        until = null;
        if (!TryParseOne(command, "--since", sinceText, now, error, out since)
            || !TryParseOne(command, "--until", untilText, now, error, out until))
        {
            return false;
        }

        // "--since 1h --until 2h" reads as "from an hour ago to two hours ago": nothing can match, and an empty answer
        // would look like "no data". Said out loud instead, with the likely intent.
        if (since is { } from && until is { } to && from >= to)
        {
            error.WriteLine(
                $"edgestore {command}: the time range is empty: --since {sinceText} ({from.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}) is not before --until {untilText} ({to.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}); durations count back from now, so the larger one goes with --since (e.g. --since 2h --until 1h)");
            return false;
        }

        return true;
    }

    private static bool TryParseOne(string command, string option, string? text, DateTimeOffset now, TextWriter error, out DateTimeOffset? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }

        if (!TimeArgument.TryParse(text, now, out var parsed))
        {
            error.WriteLine(
                $"edgestore {command}: {option} is not a time (got '{text}'); give a duration back from now such as 10m, 2h or 7d, or an ISO-8601 time such as 2026-05-01T12:00:00Z");
            return false;
        }

        value = parsed;
        return true;
    }
}
