using EdgeStore.Testing;

namespace EdgeStore.Tests.Systemd;

/// <summary>
/// The files an image builder copies (rootfs-overlay/) agree with what the package ships; the package side is
/// checked again against the built .deb by packaging/test-package.sh.
/// </summary>
public sealed class RootfsOverlayTests
{
    private static readonly string Repository = RepositoryRoot.Path;

    private static string InRepository(string relative) => Path.Combine(Repository, relative);

    [Fact]
    public void Overlay_config_is_the_packaged_conffile_byte_for_byte()
    {
        Assert.Equal(
            File.ReadAllBytes(InRepository("config/edgestore.json")),
            File.ReadAllBytes(InRepository("rootfs-overlay/etc/edgestore/edgestore.json")));
    }

    [Fact]
    public void Overlay_enables_the_unit_the_package_installs()
    {
        var link = new FileInfo(InRepository("rootfs-overlay/etc/systemd/system/multi-user.target.wants/edgestore.service"));

        Assert.Equal("/usr/lib/systemd/system/edgestore.service", link.LinkTarget);
        var unit = File.ReadAllText(InRepository("systemd/edgestore.service"));
        Assert.Contains("WantedBy=multi-user.target", unit, StringComparison.Ordinal);
        Assert.Contains("ExecStart=/usr/bin/edgestore run --config /etc/edgestore/edgestore.json", unit, StringComparison.Ordinal);
        Assert.Contains("Type=notify", unit, StringComparison.Ordinal);
    }

    [Fact]
    public void Overlay_broker_listens_locally_persists_and_uses_its_acl()
    {
        var lines = File.ReadAllLines(InRepository("rootfs-overlay/etc/mosquitto/conf.d/edgestore.conf"))
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToList();

        Assert.Contains("listener 1883 127.0.0.1", lines);
        Assert.Contains("persistence true", lines);
        Assert.Contains("acl_file /etc/mosquitto/edgestore.acl", lines);
        Assert.True(File.Exists(InRepository("rootfs-overlay/etc/mosquitto/edgestore.acl")));
        // Ack-after-commit keeps many QoS 1/2 messages in flight; a small window would throttle ingestion.
        var inflight = lines.Single(line => line.StartsWith("max_inflight_messages ", StringComparison.Ordinal));
        var window = int.Parse(inflight["max_inflight_messages ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(window is 0 or >= 1000, inflight);
        Assert.Contains(lines, line => line.StartsWith("max_queued_messages ", StringComparison.Ordinal));
    }
}
