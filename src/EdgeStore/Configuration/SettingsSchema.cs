using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace EdgeStore.Configuration;

/// <summary>
/// Every known setting of <see cref="EdgeStoreSettings"/>, written out (no reflection, for Native AOT; a test keeps
/// this table and the settings classes in step), and the check of a configuration tree against it before binding:
/// every key must name a setting (an operator's typo must not silently fall back to a default), and every value must
/// convert to the setting's type. The configuration binder alone would ignore unknown keys and stop at the first bad
/// value; this collects every problem so one edit fixes them all.
/// </summary>
internal static class SettingsSchema
{
    public static SettingShape Root { get; } = SettingShape.Section(
        Member("Mqtt", SettingShape.Section(
            Member("Host", SettingShape.Text),
            Member("Port", SettingShape.Int),
            Member("ClientId", SettingShape.Text),
            Member("ProtocolVersion", SettingShape.Int),
            Member("Username", SettingShape.Text),
            Member("Password", SettingShape.Text),
            Member("KeepAliveSeconds", SettingShape.Int),
            Member("SessionExpirySeconds", SettingShape.Long),
            Member("ReceiveMaximum", SettingShape.Int),
            Member("MaximumPacketSizeBytes", SettingShape.Long),
            Member("ConnectTimeoutSeconds", SettingShape.Int),
            Member("ReconnectMinDelayMs", SettingShape.Int),
            Member("ReconnectMaxDelayMs", SettingShape.Int),
            Member("Tls", TlsShape()),
            Member("Subscriptions", SettingShape.ListOf(SettingShape.Section(
                Member("Filter", SettingShape.Text),
                Member("Qos", SettingShape.Int)))))),
        Member("Storage", SettingShape.Section(
            Member("Path", SettingShape.Text),
            Member("Durability", SettingShape.Text),
            Member("CacheSizeMiB", SettingShape.Int),
            Member("MmapSizeMiB", SettingShape.OptionalInt),
            Member("BusyTimeoutMs", SettingShape.Int),
            Member("JournalSizeLimitMiB", SettingShape.Int),
            Member("WalAutocheckpointPages", SettingShape.Int),
            Member("ReaderPoolSize", SettingShape.Int),
            Member("MinFreeBytes", SettingShape.OptionalLong),
            Member("MinFreePercent", SettingShape.OptionalInt),
            Member("DiskFullPolicy", SettingShape.Text),
            Member("DiskCheckInterval", SettingShape.Text))),
        Member("Ingest", SettingShape.Section(
            Member("QueueCapacity", SettingShape.Int),
            Member("QueueCapacityMiB", SettingShape.Int),
            Member("MaxBatchRows", SettingShape.Int),
            Member("MaxBatchLatencyMs", SettingShape.Int))),
        Member("Decoder", SettingShape.Section(
            Member("JsonTopics", SettingShape.ListOf(SettingShape.Text)))),
        Member("Node", SettingShape.Section(
            Member("Id", SettingShape.Text))),
        Member("Logging", SettingShape.Section(
            Member("Level", SettingShape.Text))),
        Member("Memory", SettingShape.Section(
            Member("Enabled", SettingShape.Bool),
            Member("FilesRoot", SettingShape.Text),
            Member("PollIntervalMs", SettingShape.Int),
            Member("StepDownHoldSeconds", SettingShape.Int),
            Member("CalmPeriodSeconds", SettingShape.Int),
            Member("ElevatedMmapPercent", SettingShape.Int),
            Member("CriticalCacheSizeKiB", SettingShape.Int),
            Member("ElevatedSomeStallPercent", SettingShape.Int),
            Member("CriticalSomeStallPercent", SettingShape.Int),
            Member("ElevatedFullStallPercent", SettingShape.Int),
            Member("CriticalFullStallPercent", SettingShape.Int),
            Member("ElevatedAvailablePercent", SettingShape.Int),
            Member("CriticalAvailablePercent", SettingShape.Int),
            Member("ElevatedCgroupUsagePercent", SettingShape.Int),
            Member("CriticalCgroupUsagePercent", SettingShape.Int))),
        Member("Maintenance", SettingShape.Section(
            Member("Windows", SettingShape.ListOf(SettingShape.Section(
                Member("Start", SettingShape.Text),
                Member("Duration", SettingShape.Text),
                Member("Days", SettingShape.Text)))),
            Member("TimeZone", SettingShape.Text),
            Member("RetentionChunkRows", SettingShape.OptionalInt),
            Member("VacuumFreePagePercent", SettingShape.OptionalInt),
            Member("VacuumFreeMiB", SettingShape.OptionalLong),
            Member("VacuumMinFreeKiB", SettingShape.OptionalLong),
            Member("WalHardLimitMiB", SettingShape.OptionalLong),
            Member("WalGuardInterval", SettingShape.Text),
            Member("OnDemandBudget", SettingShape.Text),
            Member("CheckpointRetryDelay", SettingShape.Text))),
        Member("Retention", SettingShape.Section(
            Member("MessagesDays", SettingShape.OptionalInt),
            Member("QuarantineDays", SettingShape.OptionalInt))),
        Member("SafeMode", SettingShape.Section(
            Member("UncleanExits", SettingShape.OptionalInt),
            Member("Period", SettingShape.Text),
            Member("CalmPeriod", SettingShape.Text))),
        Member("Metrics", SettingShape.Section(
            Member("IntervalSeconds", SettingShape.Int))),
        Member("RemoteTuning", SettingShape.Section(
            Member("Enabled", SettingShape.Bool),
            Member("MaxDocumentBytes", SettingShape.Int),
            Member("RateBurst", SettingShape.Int),
            Member("RateIntervalMs", SettingShape.Int),
            Member("ProbationSeconds", SettingShape.Int),
            Member("RollbackAfterSeconds", SettingShape.Int))),
        Member("Uplink", SettingShape.Section(
            Member("Enabled", SettingShape.Bool),
            Member("Host", SettingShape.Text),
            Member("Port", SettingShape.Int),
            Member("ClientId", SettingShape.Text),
            Member("TopicPrefix", SettingShape.Text),
            Member("ProtocolVersion", SettingShape.Int),
            Member("Transport", SettingShape.Text),
            Member("WebSocketPath", SettingShape.Text),
            Member("Username", SettingShape.Text),
            Member("Password", SettingShape.Text),
            Member("KeepAliveSeconds", SettingShape.Int),
            Member("ConnectTimeoutSeconds", SettingShape.Int),
            Member("ReconnectMinDelayMs", SettingShape.Int),
            Member("ReconnectMaxDelayMs", SettingShape.Int),
            Member("Tls", TlsShape()),
            Member("MaxMessagesPerSecond", SettingShape.Int),
            Member("MaxInFlight", SettingShape.Int),
            Member("ReadBatchRows", SettingShape.Int),
            Member("CursorCommitIntervalMs", SettingShape.Int),
            Member("ForwardQuarantine", SettingShape.Bool),
            Member("RetentionDropsUnforwarded", SettingShape.Bool))));

    /// <summary>
    /// Adds an error to <paramref name="unknownKeys"/> for each key that names no setting, and to
    /// <paramref name="badValues"/> for each value that does not convert to its setting's type. Paths in errors use the
    /// settings' own spelling (`Mqtt:KeepAliveSeconds`, whatever the case of the key that set it).
    /// <paramref name="describeSource"/> turns a key path as given into where it came from ("in FILE", "from environment variable X").
    /// </summary>
    public static void Check(IConfiguration configuration, Func<string, string> describeSource, List<SettingsError> unknownKeys, List<SettingsError> badValues)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        CheckSection(configuration.GetChildren(), Root, string.Empty, new Sink(describeSource, unknownKeys, badValues));
    }

    /// <summary>The shape of <see cref="MqttTlsSettings"/>, used by `Mqtt:Tls` and `Uplink:Tls`.</summary>
    private static SettingShape TlsShape() => SettingShape.Section(
        Member("Enabled", SettingShape.Bool),
        Member("CaFile", SettingShape.Text),
        Member("ClientCertificateFile", SettingShape.Text),
        Member("ClientKeyFile", SettingShape.Text),
        Member("ServerName", SettingShape.Text));

    private static KeyValuePair<string, SettingShape> Member(string name, SettingShape shape) => new(name, shape);

    private static void CheckSection(IEnumerable<IConfigurationSection> children, SettingShape section, string prefix, Sink sink)
    {
        foreach (var child in children)
        {
            if (section.Member(child.Key) is not { } member)
            {
                var known = string.Join(", ", section.Members.Select(m => m.Key));
                sink.UnknownKeys.Add(new SettingsError(prefix + child.Key, $"unknown setting {sink.DescribeSource(child.Path)} (known here: {known})"));
                continue;
            }

            CheckValue(child, member.Value, prefix + member.Key, sink);
        }
    }

    private static void CheckValue(IConfigurationSection section, SettingShape shape, string path, Sink sink)
    {
        var errors = sink.BadValues;
        var children = section.GetChildren().ToList();
        if (shape.IsScalar)
        {
            if (children.Count > 0)
            {
                errors.Add(new SettingsError(path, $"must be a single value, not an object or a list {sink.DescribeSource(section.Path)}"));
                return;
            }

            if (ScalarProblem(shape, section.Value) is { } reason)
            {
                errors.Add(new SettingsError(path, reason));
            }

            return;
        }

        if (shape.Kind == SettingKind.List)
        {
            if (children.Count == 0 && !string.IsNullOrEmpty(section.Value))
            {
                errors.Add(new SettingsError(path, $"must be a list ([...]) (got '{section.Value}')"));
                return;
            }

            foreach (var item in children)
            {
                if (!int.TryParse(item.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add(new SettingsError(path, $"must be a list ([...]), not an object (found key '{item.Key}' {sink.DescribeSource(item.Path)})"));
                    return;
                }

                CheckValue(item, shape.Element!, path + ConfigurationPath.KeyDelimiter + item.Key, sink);
            }

            return;
        }

        if (children.Count == 0 && !string.IsNullOrEmpty(section.Value))
        {
            errors.Add(new SettingsError(path, $"must be an object ({{...}}) (got '{section.Value}')"));
            return;
        }

        CheckSection(children, shape, path + ConfigurationPath.KeyDelimiter, sink);
    }

    /// <summary>The reason <paramref name="value"/> does not convert the way the configuration binder converts it, or null when it does.</summary>
    private static string? ScalarProblem(SettingShape shape, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return shape.Optional ? null : $"{Describe(shape.Kind)} (got '')";
        }

        var ok = shape.Kind switch
        {
            SettingKind.WholeNumber32 => int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            SettingKind.WholeNumber64 => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            SettingKind.TrueFalse => bool.TryParse(value, out _),
            _ => true,
        };
        return ok ? null : $"{Describe(shape.Kind)} (got '{value}')";
    }

    private static string Describe(SettingKind kind) => kind switch
    {
        SettingKind.TrueFalse => "must be true or false",
        SettingKind.Text => "must be text",
        _ => "must be a whole number",
    };

    private sealed record Sink(Func<string, string> DescribeSource, List<SettingsError> UnknownKeys, List<SettingsError> BadValues);
}
