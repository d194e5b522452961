using System.Text;
using EdgeStore.Configuration;
using EdgeStore.RemoteTuning;

namespace EdgeStore.Tests.Configuration;

/// <summary>
/// A value is valid in edgestore.json exactly when it is valid in a remote desired document: both are checked with the
/// same ranges (<see cref="SettingRanges"/>) and the same window rule. The one documented exception is the remote-only
/// cache bound.
/// </summary>
public sealed class LocalAndRemoteRulesTests
{
    public static TheoryData<string, long> IntegerEdges()
    {
        var data = new TheoryData<string, long>();
        foreach (var setting in TunableSettings.All.Where(s => s.Kind == TunableKind.Integer))
        {
            foreach (var value in new[] { setting.Range.Min - 1, setting.Range.Min, setting.Range.Max, setting.Range.Max + 1 })
            {
                data.Add(setting.Path, value);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(IntegerEdges))]
    public void An_integer_is_accepted_locally_exactly_when_it_is_accepted_remotely(string path, long value)
    {
        var setting = TunableSettings.Find(path)!;
        var local = LocalErrors((setting.SettingKey, value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var remote = RemoteErrors("{\"version\": 1, \"config\": {\"" + path + "\": " + value.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}");

        if (path == "storage.cacheSizeMiB" && value > SettingRanges.RemoteCacheSizeMiB.Max && value <= SettingRanges.CacheSizeMiB.Max)
        {
            // The documented remote-only hard bound.
            Assert.Empty(local);
            Assert.Equal([$"must be {SettingRanges.RemoteCacheSizeMiB.Describe()} (got {value})"], remote);
            return;
        }

        Assert.Equal(local.Count == 0, remote.Count == 0);
        if (path != "storage.cacheSizeMiB")
        {
            // And in the same words (the cache's words name its remote-only bound).
            Assert.Equal(local, remote);
        }
    }

    [Theory]
    [InlineData("02:00", "2h", "Mon-Sun")]
    [InlineData("2:00", "90m", "mon,wed,fri")]
    [InlineData("23:30:15", "1h30m", "Sat-Mon")]
    [InlineData("00:00", "5s", "Daily")]
    [InlineData("00:00", "1s", "*")]
    [InlineData("00:00", "24h", "Monday")]
    [InlineData("00:00", "02:00:00", "Sun")]
    [InlineData("25:00", "2h", "Mon")]
    [InlineData("02:00", "0s", "Mon")]
    [InlineData("02:00", "25h", "Mon")]
    [InlineData("02:00", "2x", "Mon")]
    [InlineData("02:00", "2h", "Funday")]
    [InlineData("02:00", "2h", "Monkey-Fri")]
    public void A_window_is_accepted_locally_exactly_when_it_is_accepted_remotely(string start, string duration, string days)
    {
        var local = LocalErrors(("Maintenance:Windows:0:Start", start), ("Maintenance:Windows:0:Duration", duration), ("Maintenance:Windows:0:Days", days));
        var remote = RemoteErrors("{\"version\": 1, \"config\": {\"maintenance.windows\": [{\"start\": \"" + start + "\", \"duration\": \"" + duration + "\", \"days\": \"" + days + "\"}]}}");

        Assert.Equal(local.Count == 0, remote.Count == 0);
        Assert.Equal(local, remote);
    }

    [Fact]
    public void Too_many_windows_are_refused_in_the_same_words()
    {
        var values = Enumerable.Range(0, 9).Select(i => ($"Maintenance:Windows:{i}:Start", "01:00")).ToArray();
        var document = "{\"version\": 1, \"config\": {\"maintenance.windows\": [" + string.Join(",", Enumerable.Repeat("{\"start\":\"01:00\",\"duration\":\"2h\"}", 9)) + "]}}";

        Assert.Equal(["must be 0..8 windows (got 9)"], LocalErrors(values));
        Assert.Equal(["must be 0..8 windows (got 9)"], RemoteErrors(document));
    }

    /// <summary>The reasons only (paths are spelled differently locally and remotely).</summary>
    private static List<string> LocalErrors(params (string Key, string Value)[] values)
    {
        var result = LoadedSettings.Load(values);
        return [.. result.Errors.Select(e => e.Reason)];
    }

    private static List<string> RemoteErrors(string json) =>
        [.. DesiredDocumentValidator.Check(Encoding.UTF8.GetBytes(json), 64 * 1024).Errors.Select(e => e.Message)];
}
