using EdgeStore.Maintenance;
using EdgeStore.Mqtt;

namespace EdgeStore.Configuration;

/// <summary>
/// Checks every bound setting against its documented range (docs/CONFIGURATION.md) and adds one error per problem,
/// each naming the setting and the reason, in the form `Mqtt:Port: must be 1..65535 (got 70000)`.
/// </summary>
internal static class SettingsValidator
{
    public static void Validate(EdgeStoreSettings settings, List<SettingsError> errors)
    {
        ValidateMqtt(settings.Mqtt, errors);
        ValidateStorage(settings.Storage, errors);
        ValidateIngest(settings.Ingest, errors);
        ValidateDecoder(settings.Decoder, errors);
        ValidateNode(settings.Node, errors);
        foreach (var (field, reason) in EdgeStore.Memory.MemorySettingsValidator.Check(settings.Memory))
        {
            errors.Add(new SettingsError($"{MemorySettings.SectionName}:{field}", reason));
        }

        try
        {
            _ = MaintenanceOptions.From(settings);
        }
        catch (MaintenanceSettingsException e)
        {
            errors.Add(new SettingsError(e.Field, e.Reason));
        }

        RemoteTuning.TuningSettingsValidator.Validate(settings, errors);
        if (!Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(settings.Logging.Level, ignoreCase: true, out var level) || level == Microsoft.Extensions.Logging.LogLevel.None || !Enum.IsDefined(level) || settings.Logging.Level.Any(char.IsAsciiDigit))
        {
            errors.Add(new SettingsError("Logging:Level", $"must be Trace, Debug, Information, Warning, Error or Critical (got '{settings.Logging.Level}')"));
        }
    }

    private static void ValidateMqtt(MqttSettings mqtt, List<SettingsError> errors)
    {
        if (string.IsNullOrWhiteSpace(mqtt.Host))
        {
            errors.Add(new SettingsError("Mqtt:Host", "must not be empty"));
        }

        Range(errors, "Mqtt:Port", mqtt.Port, 1, 65535);
        if (mqtt.ProtocolVersion is not (MqttSettings.MqttV311 or MqttSettings.MqttV500))
        {
            errors.Add(new SettingsError("Mqtt:ProtocolVersion", $"must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0) (got {mqtt.ProtocolVersion})"));
        }

        if (mqtt.ClientId is { } clientId && System.Text.Encoding.UTF8.GetByteCount(clientId) > 65535)
        {
            errors.Add(new SettingsError("Mqtt:ClientId", "must be at most 65535 bytes"));
        }

        Range(errors, "Mqtt:KeepAliveSeconds", mqtt.KeepAliveSeconds, 0, 65535);
        Range(errors, "Mqtt:SessionExpirySeconds", mqtt.SessionExpirySeconds, 86_400, uint.MaxValue);
        Range(errors, "Mqtt:ReceiveMaximum", mqtt.ReceiveMaximum, 1, 65535);
        Range(errors, "Mqtt:MaximumPacketSizeBytes", mqtt.MaximumPacketSizeBytes, 1024, 268_435_455);
        Range(errors, "Mqtt:ConnectTimeoutSeconds", mqtt.ConnectTimeoutSeconds, 1, 300);
        Range(errors, "Mqtt:ReconnectMinDelayMs", mqtt.ReconnectMinDelayMs, 10, 3_600_000);
        Range(errors, "Mqtt:ReconnectMaxDelayMs", mqtt.ReconnectMaxDelayMs, 10, 3_600_000);
        if (mqtt.ReconnectMaxDelayMs < mqtt.ReconnectMinDelayMs)
        {
            errors.Add(new SettingsError("Mqtt:ReconnectMaxDelayMs", $"must be at least Mqtt:ReconnectMinDelayMs ({mqtt.ReconnectMinDelayMs}) (got {mqtt.ReconnectMaxDelayMs})"));
        }

        if (mqtt.Password is not null && mqtt.Username is null && mqtt.ProtocolVersion == MqttSettings.MqttV311)
        {
            errors.Add(new SettingsError("Mqtt:Password", "needs Mqtt:Username with MQTT 3.1.1"));
        }

        var tls = mqtt.Tls;
        ExistingFile(errors, "Mqtt:Tls:CaFile", tls.CaFile);
        ExistingFile(errors, "Mqtt:Tls:ClientCertificateFile", tls.ClientCertificateFile);
        ExistingFile(errors, "Mqtt:Tls:ClientKeyFile", tls.ClientKeyFile);
        if (tls.ClientKeyFile is not null && tls.ClientCertificateFile is null)
        {
            errors.Add(new SettingsError("Mqtt:Tls:ClientKeyFile", "needs Mqtt:Tls:ClientCertificateFile"));
        }

        if (!tls.Enabled && (tls.CaFile ?? tls.ClientCertificateFile ?? tls.ClientKeyFile ?? tls.ServerName) is not null)
        {
            errors.Add(new SettingsError("Mqtt:Tls:Enabled", "must be true when other Mqtt:Tls settings are given (they would be ignored)"));
        }

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

        Range(errors, "Storage:CacheSizeMiB", storage.CacheSizeMiB, 1, 4096);
        if (storage.MmapSizeMiB is { } mmap)
        {
            Range(errors, "Storage:MmapSizeMiB", mmap, 0, 1_048_576);
        }

        Range(errors, "Storage:BusyTimeoutMs", storage.BusyTimeoutMs, 0, 600_000);
        Range(errors, "Storage:JournalSizeLimitMiB", storage.JournalSizeLimitMiB, 1, 65_536);
        Range(errors, "Storage:WalAutocheckpointPages", storage.WalAutocheckpointPages, 0, 1_000_000);
        Range(errors, "Storage:ReaderPoolSize", storage.ReaderPoolSize, 1, 64);
    }

    private static void ValidateIngest(IngestSettings ingest, List<SettingsError> errors)
    {
        Range(errors, "Ingest:QueueCapacity", ingest.QueueCapacity, 1, 1_000_000);
        Range(errors, "Ingest:MaxBatchRows", ingest.MaxBatchRows, 1, 100_000);
        Range(errors, "Ingest:MaxBatchLatencyMs", ingest.MaxBatchLatencyMs, 1, 60_000);
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

    private static void Range(List<SettingsError> errors, string path, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add(new SettingsError(path, $"must be {min}..{max} (got {value})"));
        }
    }

    private static void ExistingFile(List<SettingsError> errors, string path, string? file)
    {
        if (file is not null && !File.Exists(file))
        {
            errors.Add(new SettingsError(path, $"file not found (got '{file}')"));
        }
    }
}
