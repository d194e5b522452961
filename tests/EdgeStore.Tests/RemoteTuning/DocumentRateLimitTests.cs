using EdgeStore.RemoteTuning;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStore.Tests.RemoteTuning;

public sealed class DocumentRateLimitTests
{
    [Fact]
    public void A_burst_passes_then_one_document_per_interval()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
        var limit = new DocumentRateLimit(burst: 5, TimeSpan.FromSeconds(2), clock);

        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limit.TryTake()));

        clock.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(limit.TryTake());
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(limit.TryTake());
        Assert.False(limit.TryTake());

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(5, Enumerable.Range(0, 20).Count(_ => limit.TryTake()));
    }
}
