using EdgeStore.Maintenance;
using EdgeStore.Mqtt;
using EdgeStore.RemoteTuning;

namespace EdgeStore.Configuration;

/// <summary>
/// The one validator of EdgeStore's settings: checks every bound setting against its documented range
/// (docs/CONFIGURATION.md) and adds one error per problem, each naming the setting and the reason, in the form
/// `Mqtt:Port: must be 1..65535 (got 70000)`. Every problem is collected, never only the first. Ranges are checked with
/// <see cref="SettingRange"/>; the settings remote tuning may change use <see cref="SettingRanges"/>, the same ranges
/// desired documents are held to.
/// </summary>
internal static class SettingsValidator
{
    public static void Validate(EdgeStoreSettings settings, List<SettingsError> errors)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(errors);
        ValidateMqtt(settings.Mqtt, errors);
        ValidateStorage(settings.Storage, errors);
        ValidateIngest(settings.Ingest, errors);
        ValidateDecoder(settings.Decoder, errors);
        ValidateNode(settings.Node, errors);
        ValidateMemory(settings.Memory, errors);
        _ = MaintenanceOptions.Collect(settings, errors);
        SettingRanges.MetricsIntervalSeconds.Check(errors, "Metrics:IntervalSeconds", settings.Metrics.IntervalSeconds);
        ValidateRemoteTuning(settings.RemoteTuning, errors);
        ValidateUplink(settings.Uplink, errors);
        if (!TunableSettings.LogLevels.Contains(settings.Logging.Level, StringComparer.OrdinalIgnoreCase))
        {
            errors.Add(new SettingsError("Logging:Level", $"must be {string.Join(", ", TunableSettings.LogLevels.SkipLast(1))} or {TunableSettings.LogLevels[^1]} (got '{settings.Logging.Level}')"));
        }
    }

    private static void ValidateMqtt(MqttSettings mqtt, List<SettingsError> errors)
    {
        if (string.IsNullOrWhiteSpace(mqtt.Host))
        {
            errors.Add(new SettingsError("Mqtt:Host", "must not be empty"));
        }

        new SettingRange(1, 65535).Check(errors, "Mqtt:Port", mqtt.Port);
        if (mqtt.ProtocolVersion is not (MqttSettings.MqttV311 or MqttSettings.MqttV500))
        {
            errors.Add(new SettingsError("Mqtt:ProtocolVersion", $"must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0) (got {mqtt.ProtocolVersion})"));
        }

        if (mqtt.ClientId is { } clientId && System.Text.Encoding.UTF8.GetByteCount(clientId) > 65535)
        {
            errors.Add(new SettingsError("Mqtt:ClientId", "must be at most 65535 bytes"));
        }

        new SettingRange(0, 65535).Check(errors, "Mqtt:KeepAliveSeconds", mqtt.KeepAliveSeconds);
        new SettingRange(86_400, uint.MaxValue).Check(errors, "Mqtt:SessionExpirySeconds", mqtt.SessionExpirySeconds);
        new SettingRange(1, 65535).Check(errors, "Mqtt:ReceiveMaximum", mqtt.ReceiveMaximum);
        new SettingRange(1024, 268_435_455).Check(errors, "Mqtt:MaximumPacketSizeBytes", mqtt.MaximumPacketSizeBytes);
        new SettingRange(1, 300).Check(errors, "Mqtt:ConnectTimeoutSeconds", mqtt.ConnectTimeoutSeconds);
        new SettingRange(10, 3_600_000).Check(errors, "Mqtt:ReconnectMinDelayMs", mqtt.ReconnectMinDelayMs);
        new SettingRange(10, 3_600_000).Check(errors, "Mqtt:ReconnectMaxDelayMs", mqtt.ReconnectMaxDelayMs);
        if (mqtt.ReconnectMaxDelayMs < mqtt.ReconnectMinDelayMs)
        {
            errors.Add(new SettingsError("Mqtt:ReconnectMaxDelayMs", $"must be at least Mqtt:ReconnectMinDelayMs ({mqtt.ReconnectMinDelayMs}) (got {mqtt.ReconnectMaxDelayMs})"));
        }

        if (mqtt.Password is not null && mqtt.Username is null && mqtt.ProtocolVersion == MqttSettings.MqttV311)
        {
            errors.Add(new SettingsError("Mqtt:Password", "needs Mqtt:Username with MQTT 3.1.1"));
        }

        ValidateTls(mqtt.Tls, "Mqtt:Tls", errors);

        if (mqtt.Subscriptions.Count == 0)
        {
            errors.Add(new SettingsError("Mqtt:Subscriptions", "must list at least one subscription"));
        }

        for (var i = 0; i < mqtt.Subscriptions.Count; i++)
        {
            var subscription = mqtt.Subscriptions[i];
            if (string.IsNullOrEmpty(subscription.Filter))
            {
                errors.Add(new SettingsError($"Mqtt:Subscriptions:{i}:Filter", "must not be empty"));
            }
            else if (!MqttTopicFilter.IsValidFilter(subscription.Filter))
            {
                errors.Add(new SettingsError($"Mqtt:Subscriptions:{i}:Filter", $"is not a valid MQTT topic filter (got '{subscription.Filter}')"));
            }

            if (subscription.Qos is < 0 or > 2)
            {
                errors.Add(new SettingsError($"Mqtt:Subscriptions:{i}:Qos", $"must be 0, 1 or 2 (got {subscription.Qos})"));
            }
        }
    }

    private static void ValidateStorage(StorageSettings storage, List<SettingsError> errors)
    {
        if (string.IsNullOrWhiteSpace(storage.Path))
        {
            errors.Add(new SettingsError("Storage:Path", "must not be empty"));
        }
        else if (storage.Path.EndsWith('/') || Directory.Exists(storage.Path))
        {
            errors.Add(new SettingsError("Storage:Path", $"must name the database file, not a directory (got '{storage.Path}')"));
        }

        if (!string.Equals(storage.Durability, "Normal", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(storage.Durability, "Full", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new SettingsError("Storage:Durability", $"must be Normal or Full (got '{storage.Durability}')"));
        }

        SettingRanges.CacheSizeMiB.Check(errors, "Storage:CacheSizeMiB", storage.CacheSizeMiB);
        if (storage.MmapSizeMiB is { } mmap)
        {
            SettingRanges.MmapSizeMiB.Check(errors, "Storage:MmapSizeMiB", mmap);
        }

        new SettingRange(0, 600_000).Check(errors, "Storage:BusyTimeoutMs", storage.BusyTimeoutMs);
        new SettingRange(1, 65_536).Check(errors, "Storage:JournalSizeLimitMiB", storage.JournalSizeLimitMiB);
        new SettingRange(0, 1_000_000).Check(errors, "Storage:WalAutocheckpointPages", storage.WalAutocheckpointPages);
        new SettingRange(1, 64).Check(errors, "Storage:ReaderPoolSize", storage.ReaderPoolSize);
    }

    private static void ValidateIngest(IngestSettings ingest, List<SettingsError> errors)
    {
        new SettingRange(1, 1_000_000).Check(errors, "Ingest:QueueCapacity", ingest.QueueCapacity);
        new SettingRange(1, 4096).Check(errors, "Ingest:QueueCapacityMiB", ingest.QueueCapacityMiB);
        SettingRanges.MaxBatchRows.Check(errors, "Ingest:MaxBatchRows", ingest.MaxBatchRows);
        SettingRanges.MaxBatchLatencyMs.Check(errors, "Ingest:MaxBatchLatencyMs", ingest.MaxBatchLatencyMs);
    }

    private static void ValidateDecoder(DecoderSettings decoder, List<SettingsError> errors)
    {
        for (var i = 0; i < decoder.JsonTopics.Count; i++)
        {
            var filter = decoder.JsonTopics[i];
            if (string.IsNullOrEmpty(filter) || !MqttTopicFilter.IsValidFilter(filter))
            {
                errors.Add(new SettingsError($"Decoder:JsonTopics:{i}", $"is not a valid MQTT topic filter (got '{filter}')"));
            }
        }
    }

    private static void ValidateNode(NodeSettings node, List<SettingsError> errors)
    {
        // The node id becomes one level of EdgeStore's own topics (edgestore/<node>/...), so it must be one safe level.
        if (string.IsNullOrEmpty(node.Id) || node.Id.Length > 64 || !node.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add(new SettingsError("Node:Id", $"must be 1..64 characters of letters, digits, '-', '_' or '.' (got '{node.Id}')"));
        }
    }

    private static void ValidateMemory(MemorySettings memory, List<SettingsError> errors)
    {
        new SettingRange(100, 60_000, "ms").Check(errors, "Memory:PollIntervalMs", memory.PollIntervalMs);
        new SettingRange(0, 3600, "s").Check(errors, "Memory:StepDownHoldSeconds", memory.StepDownHoldSeconds);
        new SettingRange(1, 86_400, "s").Check(errors, "Memory:CalmPeriodSeconds", memory.CalmPeriodSeconds);
        new SettingRange(64, 1_048_576, "KiB").Check(errors, "Memory:CriticalCacheSizeKiB", memory.CriticalCacheSizeKiB);
        new SettingRange(1, 99, "percent").Check(errors, "Memory:ElevatedMmapPercent", memory.ElevatedMmapPercent);
        ThresholdPair(errors, "SomeStallPercent", memory.ElevatedSomeStallPercent, memory.CriticalSomeStallPercent, rising: true);
        ThresholdPair(errors, "FullStallPercent", memory.ElevatedFullStallPercent, memory.CriticalFullStallPercent, rising: true);
        ThresholdPair(errors, "CgroupUsagePercent", memory.ElevatedCgroupUsagePercent, memory.CriticalCgroupUsagePercent, rising: true);
        ThresholdPair(errors, "AvailablePercent", memory.ElevatedAvailablePercent, memory.CriticalAvailablePercent, rising: false);
        if (string.IsNullOrWhiteSpace(memory.FilesRoot) || !Path.IsPathRooted(memory.FilesRoot))
        {
            errors.Add(new SettingsError("Memory:FilesRoot", $"must be an absolute path (got '{memory.FilesRoot}')"));
        }
    }

    /// <summary>Each threshold is a percentage; the Critical one must be the worse of the pair, or Elevated could never be reached.</summary>
    private static void ThresholdPair(List<SettingsError> errors, string name, int elevated, int critical, bool rising)
    {
        var percent = new SettingRange(0, 100, "percent");
        var before = errors.Count;
        percent.Check(errors, $"Memory:Elevated{name}", elevated);
        percent.Check(errors, $"Memory:Critical{name}", critical);
        if (errors.Count == before && (rising ? critical < elevated : critical > elevated))
        {
            errors.Add(new SettingsError($"Memory:Critical{name}", $"must be {(rising ? "at least" : "at most")} Memory:Elevated{name} ({elevated}) (got {critical})"));
        }
    }

    private static void ValidateRemoteTuning(RemoteTuningSettings tuning, List<SettingsError> errors)
    {
        new SettingRange(256, 1024 * 1024, "bytes").Check(errors, "RemoteTuning:MaxDocumentBytes", tuning.MaxDocumentBytes);
        new SettingRange(1, 100, "documents").Check(errors, "RemoteTuning:RateBurst", tuning.RateBurst);
        new SettingRange(10, 3_600_000, "ms").Check(errors, "RemoteTuning:RateIntervalMs", tuning.RateIntervalMs);
        new SettingRange(1, 7 * 86_400, "s").Check(errors, "RemoteTuning:ProbationSeconds", tuning.ProbationSeconds);
        new SettingRange(1, 86_400, "s").Check(errors, "RemoteTuning:RollbackAfterSeconds", tuning.RollbackAfterSeconds);
    }

    private static void ValidateTls(MqttTlsSettings tls, string section, List<SettingsError> errors)
    {
        ExistingFile(errors, $"{section}:CaFile", tls.CaFile);
        ExistingFile(errors, $"{section}:ClientCertificateFile", tls.ClientCertificateFile);
        ExistingFile(errors, $"{section}:ClientKeyFile", tls.ClientKeyFile);
        if (tls.ClientKeyFile is not null && tls.ClientCertificateFile is null)
        {
            errors.Add(new SettingsError($"{section}:ClientKeyFile", $"needs {section}:ClientCertificateFile"));
        }

        if (!tls.Enabled && (tls.CaFile ?? tls.ClientCertificateFile ?? tls.ClientKeyFile ?? tls.ServerName) is not null)
        {
            errors.Add(new SettingsError($"{section}:Enabled", $"must be true when other {section} settings are given (they would be ignored)"));
        }
    }

    private static void ValidateUplink(UplinkSettings uplink, List<SettingsError> errors)
    {
        if (uplink.Enabled && uplink.Host is null)
        {
            errors.Add(new SettingsError("Uplink:Host", "must name the upstream broker when Uplink:Enabled is true"));
        }

        new SettingRange(1, 65535).Check(errors, "Uplink:Port", uplink.Port);
        if (uplink.ProtocolVersion is not (MqttSettings.MqttV311 or MqttSettings.MqttV500))
        {
            errors.Add(new SettingsError("Uplink:ProtocolVersion", $"must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0) (got {uplink.ProtocolVersion})"));
        }

        if (uplink.ClientId is { } clientId && System.Text.Encoding.UTF8.GetByteCount(clientId) > 65535)
        {
            errors.Add(new SettingsError("Uplink:ClientId", "must be at most 65535 bytes"));
        }

        // The prefix becomes the first levels of every forwarded topic: a topic name, without wildcards or empty levels.
        var prefix = uplink.TopicPrefix ?? string.Empty;
        if (prefix.Length == 0 || prefix.Contains('+', StringComparison.Ordinal) || prefix.Contains('#', StringComparison.Ordinal)
            || prefix.StartsWith('/') || prefix.EndsWith('/') || prefix.Contains("//", StringComparison.Ordinal) || prefix.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add(new SettingsError("Uplink:TopicPrefix", $"must be topic levels without wildcards, empty levels or a leading or trailing '/' (got '{prefix}')"));
        }

        if (!string.Equals(uplink.Transport, UplinkSettings.TransportTcp, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(uplink.Transport, UplinkSettings.TransportWebSockets, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add(new SettingsError("Uplink:Transport", $"must be {UplinkSettings.TransportTcp} or {UplinkSettings.TransportWebSockets} (got '{uplink.Transport}')"));
        }

        if (string.IsNullOrEmpty(uplink.WebSocketPath) || !uplink.WebSocketPath.StartsWith('/'))
        {
            errors.Add(new SettingsError("Uplink:WebSocketPath", $"must start with '/' (got '{uplink.WebSocketPath}')"));
        }

        if (uplink.Password is not null && uplink.Username is null && uplink.ProtocolVersion == MqttSettings.MqttV311)
        {
            errors.Add(new SettingsError("Uplink:Password", "needs Uplink:Username with MQTT 3.1.1"));
        }

        new SettingRange(0, 65535, "s").Check(errors, "Uplink:KeepAliveSeconds", uplink.KeepAliveSeconds);
        new SettingRange(1, 300, "s").Check(errors, "Uplink:ConnectTimeoutSeconds", uplink.ConnectTimeoutSeconds);
        new SettingRange(10, 3_600_000, "ms").Check(errors, "Uplink:ReconnectMinDelayMs", uplink.ReconnectMinDelayMs);
        new SettingRange(10, 3_600_000, "ms").Check(errors, "Uplink:ReconnectMaxDelayMs", uplink.ReconnectMaxDelayMs);
        if (uplink.ReconnectMaxDelayMs < uplink.ReconnectMinDelayMs)
        {
            errors.Add(new SettingsError("Uplink:ReconnectMaxDelayMs", $"must be at least Uplink:ReconnectMinDelayMs ({uplink.ReconnectMinDelayMs}) (got {uplink.ReconnectMaxDelayMs})"));
        }

        ValidateTls(uplink.Tls, "Uplink:Tls", errors);
        SettingRanges.UplinkMaxMessagesPerSecond.Check(errors, "Uplink:MaxMessagesPerSecond", uplink.MaxMessagesPerSecond);
        new SettingRange(1, 65535, "messages").Check(errors, "Uplink:MaxInFlight", uplink.MaxInFlight);
        new SettingRange(1, 100_000, "rows").Check(errors, "Uplink:ReadBatchRows", uplink.ReadBatchRows);
        new SettingRange(10, 600_000, "ms").Check(errors, "Uplink:CursorCommitIntervalMs", uplink.CursorCommitIntervalMs);
    }

    private static void ExistingFile(List<SettingsError> errors, string path, string? file)
    {
        if (file is not null && !File.Exists(file))
        {
            errors.Add(new SettingsError(path, $"file not found (got '{file}')"));
        }
    }
}
