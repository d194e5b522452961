using System.Text;

namespace EdgeStore.Mqtt;

/// <summary>
/// MQTT topic names and filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7): the one implementation EdgeStore uses everywhere a
/// filter is matched (subscriptions, queries, remote tuning).
/// </summary>
public static class MqttTopicFilter
{
    private const int MaxUtf8Bytes = ushort.MaxValue;

    /// <summary>
    /// True when <paramref name="topic"/> matches <paramref name="filter"/>. '+' matches exactly one level, '#' the
    /// parent level and any number of levels below it. Topics starting with '$' are not matched by a filter whose
    /// first level is a wildcard. Invalid filters or topic names never match.
    /// </summary>
    public static bool Matches(string filter, string topic)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(topic);
        if (!IsValidFilter(filter) || !IsValidTopicName(topic))
        {
            return false;
        }

        if (topic[0] == '$' && (filter[0] == '+' || filter[0] == '#'))
        {
            return false;
        }

        var f = 0;
        var t = 0;
        while (true)
        {
            var filterLevelEnd = LevelEnd(filter, f);
            var filterLevel = filter.AsSpan(f, filterLevelEnd - f);
            if (filterLevel is "#")
            {
                // '#' also matches the parent level: "a/#" matches "a".
                return true;
            }

            if (t > topic.Length)
            {
                // The topic ran out of levels while the filter still has one that is not '#'.
                return false;
            }

            var topicLevelEnd = LevelEnd(topic, t);
            if (filterLevel is not "+" && !filterLevel.SequenceEqual(topic.AsSpan(t, topicLevelEnd - t)))
            {
                return false;
            }

            var filterDone = filterLevelEnd >= filter.Length;
            var topicDone = topicLevelEnd >= topic.Length;
            if (filterDone)
            {
                return topicDone;
            }

            f = filterLevelEnd + 1;
            // t may become topic.Length + 1: "no more topic levels", checked above (only '#' may follow).
            t = topicLevelEnd + 1;
        }
    }

    /// <summary>True for a valid subscription filter: non-empty, '#' only as the whole last level, '+' only as a whole level.</summary>
    public static bool IsValidFilter(string filter)
    {
        if (string.IsNullOrEmpty(filter) || !HasValidLength(filter))
        {
            return false;
        }

        for (var i = 0; i < filter.Length; i++)
        {
            var c = filter[i];
            switch (c)
            {
                case '\0':
                    return false;
                case '#':
                    if (i != filter.Length - 1 || (i > 0 && filter[i - 1] != '/'))
                    {
                        return false;
                    }

                    break;
                case '+':
                    if ((i > 0 && filter[i - 1] != '/') || (i < filter.Length - 1 && filter[i + 1] != '/'))
                    {
                        return false;
                    }

                    break;
                default:
                    if (char.IsSurrogate(c) && !IsWellFormedSurrogatePair(filter, i++))
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    /// <summary>True for a valid topic name to PUBLISH to: non-empty, no wildcards, no NUL, at most 65535 UTF-8 bytes.</summary>
    public static bool IsValidTopicName(string topic)
    {
        if (string.IsNullOrEmpty(topic) || !HasValidLength(topic))
        {
            return false;
        }

        for (var i = 0; i < topic.Length; i++)
        {
            var c = topic[i];
            if (c is '+' or '#' or '\0')
            {
                return false;
            }

            if (char.IsSurrogate(c) && !IsWellFormedSurrogatePair(topic, i++))
            {
                return false;
            }
        }

        return true;
    }

    private static int LevelEnd(string value, int start)
    {
        if (start >= value.Length)
        {
            return value.Length;
        }

        var slash = value.IndexOf('/', start);
        return slash < 0 ? value.Length : slash;
    }

    private static bool HasValidLength(string value) =>
        value.Length <= MaxUtf8Bytes && (value.Length * 3 <= MaxUtf8Bytes || Encoding.UTF8.GetByteCount(value) <= MaxUtf8Bytes);

    private static bool IsWellFormedSurrogatePair(string value, int index) =>
        char.IsHighSurrogate(value[index]) && index + 1 < value.Length && char.IsLowSurrogate(value[index + 1]);
}
