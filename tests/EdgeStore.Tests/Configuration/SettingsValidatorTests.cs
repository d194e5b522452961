namespace EdgeStore.Tests.Configuration;

/// <summary>One validator for every section: all problems, from every section, come back together.</summary>
public sealed class SettingsValidatorTests
{
    [Fact]
    public void Problems_in_every_section_are_reported_together()
    {
        var errors = LoadedSettings.Errors(
            ("Mqtt:Port", "70000"),
            ("Memory:PollIntervalMs", "5"),
            ("Maintenance:Windows:0:Duration", "30h"),
            ("Retention:QuarantineDays", "40000"),
            ("SafeMode:Period", "soon"),
            ("Metrics:IntervalSeconds", "1"),
            ("RemoteTuning:RateBurst", "0"),
            ("Mqtt:Bogus", "1"));

        Assert.Equal(
            [
                "Mqtt:Bogus",
                "Mqtt:Port",
                "Memory:PollIntervalMs",
                "Maintenance:Windows:0:Duration",
                "Retention:QuarantineDays",
                "SafeMode:Period",
                "Metrics:IntervalSeconds",
                "RemoteTuning:RateBurst",
            ],
            errors.Select(e => e[..e.IndexOf(": ", StringComparison.Ordinal)]));
        Assert.Contains("Mqtt:Port: must be 1..65535 (got 70000)", errors);
        Assert.Contains("Metrics:IntervalSeconds: must be 5..86400 s (got 1)", errors);
    }
}
