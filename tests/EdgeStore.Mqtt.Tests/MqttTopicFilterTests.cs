namespace EdgeStore.Mqtt.Tests;

public sealed class MqttTopicFilterTests
{
    [Theory]
    [InlineData("sensors/#", "sensors", true)]
    [InlineData("sensors/#", "sensors/", true)]
    [InlineData("sensors/#", "sensors/dev-1/telemetry", true)]
    [InlineData("sensors/#", "sensorsX/dev-1", false)]
    [InlineData("sensors/+/telemetry", "sensors/dev-1/telemetry", true)]
    [InlineData("sensors/+/telemetry", "sensors//telemetry", true)]
    [InlineData("sensors/+/telemetry", "sensors/dev-1/status", false)]
    [InlineData("sensors/+/telemetry", "sensors/dev-1/telemetry/x", false)]
    [InlineData("sensors/+", "sensors", false)]
    [InlineData("sensors/+", "sensors/", true)]
    [InlineData("+", "a", true)]
    [InlineData("+", "a/b", false)]
    [InlineData("+", "/a", false)]
    [InlineData("+/+", "/a", true)]
    [InlineData("/+", "/a", true)]
    [InlineData("#", "a/b/c", true)]
    [InlineData("#", "/", true)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/b/", false)]
    [InlineData("a/b", "A/b", false)]
    [InlineData("a/+/#", "a/x", true)]
    [InlineData("a/+/#", "a", false)]
    [InlineData("+/+/#", "a/b/c/d", true)]
    [InlineData("+/b/#", "a/b", true)]
    [InlineData("#", "$SYS/broker/load", false)]
    [InlineData("+/broker/load", "$SYS/broker/load", false)]
    [InlineData("+/#", "$SYS", false)]
    [InlineData("$SYS/#", "$SYS/broker/load", true)]
    [InlineData("$SYS/+/load", "$SYS/broker/load", true)]
    [InlineData("a/$x/#", "a/$x/y", true)]
    [InlineData("#", "a/$x", true)]
    [InlineData("sensors/ü/+", "sensors/ü/t", true)]
    public void Matches_follows_the_specification(string filter, string topic, bool expected)
    {
        Assert.Equal(expected, MqttTopicFilter.Matches(filter, topic));
    }

    [Theory]
    [InlineData("a/#/b")]
    [InlineData("a#")]
    [InlineData("a/b#")]
    [InlineData("a+/b")]
    [InlineData("a/+b")]
    [InlineData("++")]
    [InlineData("")]
    [InlineData("a\0b")]
    public void Invalid_filters_are_rejected_and_never_match(string filter)
    {
        Assert.False(MqttTopicFilter.IsValidFilter(filter));
        Assert.False(MqttTopicFilter.Matches(filter, "a/b"));
    }

    [Theory]
    [InlineData("#")]
    [InlineData("+")]
    [InlineData("/")]
    [InlineData("+/+")]
    [InlineData("a/+/c/#")]
    [InlineData("$SYS/#")]
    [InlineData("$share/group/sensors/#")]
    [InlineData(" spaces are legal ")]
    public void Valid_filters_are_accepted(string filter)
    {
        Assert.True(MqttTopicFilter.IsValidFilter(filter));
    }

    [Theory]
    [InlineData("a/+", false)]
    [InlineData("a/#", false)]
    [InlineData("", false)]
    [InlineData("a\0", false)]
    [InlineData("/", true)]
    [InlineData("a//b", true)]
    [InlineData("$SYS/x", true)]
    [InlineData("sensors/dev-0001/telemetry", true)]
    public void IsValidTopicName_rejects_wildcards_and_empty_names(string topic, bool expected)
    {
        Assert.Equal(expected, MqttTopicFilter.IsValidTopicName(topic));
    }

    [Fact]
    public void Lone_surrogates_and_overlong_names_are_invalid()
    {
        Assert.False(MqttTopicFilter.IsValidTopicName("a\uD800b"));
        Assert.False(MqttTopicFilter.IsValidFilter("a/\uDC00"));
        Assert.True(MqttTopicFilter.IsValidTopicName("a/\uD83D\uDE00"));
        Assert.False(MqttTopicFilter.IsValidTopicName(new string('a', 65536)));
        Assert.True(MqttTopicFilter.IsValidTopicName(new string('a', 65535)));
        Assert.False(MqttTopicFilter.IsValidTopicName(new string('é', 40000)));
    }

    [Fact]
    public void Matches_agrees_with_a_reference_level_matcher_on_generated_cases()
    {
        var levels = new[] { "a", "b", "", "$x" };
        var random = new Random(42);
        for (var i = 0; i < 5000; i++)
        {
            var topic = string.Join('/', Enumerable.Range(0, random.Next(1, 5)).Select(_ => levels[random.Next(levels.Length)]));
            var filterLevels = Enumerable.Range(0, random.Next(1, 5)).Select(_ => random.Next(6) switch
            {
                0 => "+",
                1 => "#",
                _ => levels[random.Next(levels.Length)],
            }).ToList();
            var filter = string.Join('/', filterLevels);
            if (!MqttTopicFilter.IsValidFilter(filter) || topic.Length == 0)
            {
                // An empty topic name is not a topic at all; Matches is false for it by definition.
                Assert.False(MqttTopicFilter.Matches(filter, topic));
                continue;
            }

            var expected = Reference(filter.Split('/'), topic.Split('/'), topic.StartsWith('$'));
            Assert.True(expected == MqttTopicFilter.Matches(filter, topic), $"filter '{filter}' topic '{topic}' expected {expected}");
        }
    }

    private static bool Reference(string[] filter, string[] topic, bool dollar)
    {
        if (dollar && filter[0] is "+" or "#")
        {
            return false;
        }

        for (var i = 0; i < filter.Length; i++)
        {
            if (filter[i] == "#")
            {
                return true;
            }

            if (i >= topic.Length || (filter[i] != "+" && filter[i] != topic[i]))
            {
                return false;
            }
        }

        return filter.Length == topic.Length;
    }
}
