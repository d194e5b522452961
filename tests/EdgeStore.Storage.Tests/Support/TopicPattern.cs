namespace EdgeStore.Storage.Tests.Support;

/// <summary>A small MQTT-style filter matcher ('+' one level, '#' the rest) standing in for the client library's.</summary>
public static class TopicPattern
{
    public static Func<string, bool> Matcher(string filter) => topic => Matches(filter, topic);

    public static bool Matches(string filter, string topic)
    {
        var f = filter.Split('/');
        var t = topic.Split('/');
        for (var i = 0; i < f.Length; i++)
        {
            if (f[i] == "#")
            {
                return true;
            }

            if (i >= t.Length || (f[i] != "+" && f[i] != t[i]))
            {
                return false;
            }
        }

        return f.Length == t.Length;
    }
}
