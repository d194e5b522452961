using EdgeStore.Configuration;

namespace EdgeStore.Tests.Configuration;

public sealed class SettingsLoaderTests : IDisposable
{
    private const long Mebibyte = 1024 * 1024;
    private static readonly MachineFacts Gateway = new("gw-7", 4096 * Mebibyte);

    private readonly ConfigurationFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Without_file_or_environment_every_default_applies()
    {
        var settings = Load(null).Settings!;

        Assert.Equal("127.0.0.1", settings.Mqtt.Host);
        Assert.Equal(1883, settings.Mqtt.Port);
        Assert.Equal(5, settings.Mqtt.ProtocolVersion);
        Assert.Equal("gw-7", settings.Node.Id);
        Assert.Equal("edgestore-gw-7", settings.Mqtt.ClientId);
        var subscription = Assert.Single(settings.Mqtt.Subscriptions);
        Assert.Equal(("sensors/#", 1), (subscription.Filter, subscription.Qos));
        Assert.Equal(Path.Combine(".", "data", "edgestore.db"), settings.Storage.Path);
        Assert.Equal("Normal", settings.Storage.Durability);
        Assert.Equal(256, settings.Storage.MmapSizeMiB);
        Assert.Equal(20_000, settings.Ingest.QueueCapacity);
        Assert.Empty(settings.Decoder.JsonTopics);
    }

    [Fact]
    public void Database_defaults_into_the_systemd_state_directory()
    {
        var settings = Load(null, ("STATE_DIRECTORY", "/var/lib/edgestore:/var/lib/other")).Settings!;

        Assert.Equal("/var/lib/edgestore/edgestore.db", settings.Storage.Path);
    }

    [Theory]
    [InlineData(512, 128)]
    [InlineData(2048, 256)]
    public void Mmap_defaults_to_the_smaller_of_256_MiB_and_a_quarter_of_RAM(long ramMiB, int expectedMiB)
    {
        var loader = new SettingsLoader(Environment(), new MachineFacts("gw", ramMiB * Mebibyte), _files.Missing);

        Assert.Equal(expectedMiB, loader.Load(null).Settings!.Storage.MmapSizeMiB);
    }

    [Fact]
    public void A_configured_mmap_above_a_quarter_of_RAM_is_capped_with_a_notice()
    {
        var loader = new SettingsLoader(Environment(), new MachineFacts("gw", 512 * Mebibyte), _files.Missing);
        var result = loader.Load(_files.Write("""{ "Storage": { "MmapSizeMiB": 1024 } }"""));

        Assert.Equal(128, result.Settings!.Storage.MmapSizeMiB);
        Assert.Contains(result.Notices, n => n.Contains("Storage:MmapSizeMiB", StringComparison.Ordinal) && n.Contains("128", StringComparison.Ordinal));
    }

    [Fact]
    public void File_values_are_read_and_environment_variables_override_them()
    {
        var file = _files.Write("""
            {
              // Comments and trailing commas are accepted, as in any .NET JSON configuration file.
              "Mqtt": { "Host": "broker.lan", "Port": 1884, "Subscriptions": [ { "Filter": "plant/#", "Qos": 2 }, ] },
              "Storage": { "Path": "/srv/file.db" },
              "Node": { "Id": "from-file" }
            }
            """);

        var settings = Load(
            file,
            ("EDGESTORE__MQTT__PORT", "18830"),
            ("EDGESTORE__STORAGE__PATH", "/tmp/x.db"),
            ("EDGESTORE__MQTT__SUBSCRIPTIONS__0__QOS", "0"),
            ("EDGESTORE__INGEST__MAXBATCHROWS", "500"),
            ("edgestore__ingest__maxbatchlatencyms", "5"),
            ("UNRELATED", "ignored")).Settings!;

        Assert.Equal("broker.lan", settings.Mqtt.Host);
        Assert.Equal(18830, settings.Mqtt.Port);
        Assert.Equal("/tmp/x.db", settings.Storage.Path);
        var subscription = Assert.Single(settings.Mqtt.Subscriptions);
        Assert.Equal(("plant/#", 0), (subscription.Filter, subscription.Qos));
        Assert.Equal(500, settings.Ingest.MaxBatchRows);
        Assert.Equal(5, settings.Ingest.MaxBatchLatencyMs);
        Assert.Equal("from-file", settings.Node.Id);
        Assert.Equal("edgestore-from-file", settings.Mqtt.ClientId);
    }

    [Fact]
    public void The_merged_configuration_tree_is_kept_for_components_that_bind_their_own_section()
    {
        var result = Load(_files.Write("""{ "Mqtt": { "Port": 1884, "Host": "b" } }"""), ("EDGESTORE__MQTT__PORT", "1885"));

        Assert.Equal("1885", result.Configuration!["Mqtt:Port"]);
        Assert.Equal("b", result.Configuration["mqtt:host"]);
    }

    [Fact]
    public void Subscriptions_can_be_given_entirely_through_the_environment()
    {
        var settings = Load(
            null,
            ("EDGESTORE__MQTT__SUBSCRIPTIONS__0__FILTER", "a/+/b"),
            ("EDGESTORE__MQTT__SUBSCRIPTIONS__0__QOS", "1"),
            ("EDGESTORE__MQTT__SUBSCRIPTIONS__1__FILTER", "c/#"),
            ("EDGESTORE__MQTT__CLIENTID", "x"),
            ("EDGESTORE__DECODER__JSONTOPICS__0", "a/#")).Settings!;

        Assert.Equal(["a/+/b", "c/#"], settings.Mqtt.Subscriptions.Select(s => s.Filter));
        Assert.Equal("x", settings.Mqtt.ClientId);
        Assert.Equal(["a/#"], settings.Decoder.JsonTopics);
    }

    [Fact]
    public void An_out_of_range_port_names_the_field_and_the_value()
    {
        var errors = Errors(_files.Write("""{ "Mqtt": { "Port": 70000 } }"""));

        Assert.Equal(["Mqtt:Port: must be 1..65535 (got 70000)"], errors);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Errors(_files.Write("""
            {
              "Mqtt": { "Port": 0, "ProtocolVersion": 3, "Subscriptions": [ { "Filter": "a/#/b", "Qos": 3 } ] },
              "Storage": { "Durability": "Fast", "CacheSizeMiB": 0 },
              "Ingest": { "QueueCapacity": 0 },
              "Decoder": { "JsonTopics": [ "x/+y" ] },
              "Node": { "Id": "has/slash" },
              "Logging": { "Level": "Loud" }
            }
            """));

        Assert.Equal(
            [
                "Mqtt:Port: must be 1..65535 (got 0)",
                "Mqtt:ProtocolVersion: must be 4 (MQTT 3.1.1) or 5 (MQTT 5.0) (got 3)",
                "Mqtt:Subscriptions:0:Filter: is not a valid MQTT topic filter (got 'a/#/b')",
                "Mqtt:Subscriptions:0:Qos: must be 0, 1 or 2 (got 3)",
                "Storage:Durability: must be Normal or Full (got 'Fast')",
                "Storage:CacheSizeMiB: must be 1..4096 MiB (got 0)",
                "Ingest:QueueCapacity: must be 1..1000000 (got 0)",
                "Decoder:JsonTopics:0: is not a valid MQTT topic filter (got 'x/+y')",
                "Node:Id: must be 1..64 characters of letters, digits, '-', '_' or '.' (got 'has/slash')",
                "Logging:Level: must be Trace, Debug, Information, Warning, Error or Critical (got 'Loud')",
            ],
            errors);
    }

    [Fact]
    public void A_misspelled_key_in_the_file_is_an_error_naming_the_key_and_the_file()
    {
        var file = _files.Write("""{ "Mqtt": { "Prot": 1884 }, "Stroage": {} }""");

        var errors = Errors(file);

        Assert.Equal(2, errors.Count);
        Assert.StartsWith($"Mqtt:Prot: unknown setting in {file} (known here: Host, Port,", errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"Stroage: unknown setting in {file} (known here: Mqtt, Storage,", errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelled_environment_variable_is_an_error_naming_the_variable()
    {
        var errors = Errors(null, ("EDGESTORE__MQTT__PROT", "1884"));

        var error = Assert.Single(errors);
        Assert.StartsWith("Mqtt:PROT: unknown setting from environment variable EDGESTORE__MQTT__PROT", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_and_range_errors_are_reported_together()
    {
        var errors = Errors(_files.Write("""{ "Mqtt": { "Port": 70000, "Hots": "x" } }"""));

        Assert.Equal(2, errors.Count);
        Assert.StartsWith("Mqtt:Hots: unknown setting", errors[0], StringComparison.Ordinal);
        Assert.Equal("Mqtt:Port: must be 1..65535 (got 70000)", errors[1]);
    }

    [Theory]
    [InlineData("""{ "Mqtt": { "Port": "abc" } }""", "Mqtt:Port: must be a whole number (got 'abc')")]
    [InlineData("""{ "Mqtt": { "Port": 1.5 } }""", "Mqtt:Port: must be a whole number (got '1.5')")]
    [InlineData("""{ "Mqtt": { "Tls": { "Enabled": "yes" } } }""", "Mqtt:Tls:Enabled: must be true or false (got 'yes')")]
    [InlineData("""{ "Mqtt": { "Subscriptions": "sensors/#" } }""", "Mqtt:Subscriptions: must be a list ([...]) (got 'sensors/#')")]
    [InlineData("""{ "Mqtt": "localhost" }""", "Mqtt: must be an object ({...}) (got 'localhost')")]
    public void A_value_of_the_wrong_type_names_the_field_and_the_value(string json, string expected)
    {
        Assert.Equal([expected], Errors(_files.Write(json)));
    }

    [Theory]
    [InlineData("""{ "Storage": { "MmapSizeMiB": null, "MinFreeBytes": "" } }""")]
    [InlineData("""{ "Retention": { "MessagesDays": null } }""")]
    public void Optional_numbers_may_be_left_empty(string json)
    {
        Assert.True(Load(_files.Write(json)).IsValid);
    }

    [Fact]
    public void A_64_bit_setting_takes_values_a_32_bit_one_refuses()
    {
        Assert.Equal(
            ["Mqtt:Port: must be a whole number (got '4294967296')"],
            Errors(_files.Write("""{ "Mqtt": { "Port": 4294967296, "SessionExpirySeconds": 4294967295 } }""")));
    }

    [Fact]
    public void A_wrongly_typed_environment_variable_uses_the_settings_own_spelling()
    {
        Assert.Equal(["Mqtt:KeepAliveSeconds: must be a whole number (got 'soon')"], Errors(null, ("EDGESTORE__MQTT__KEEPALIVESECONDS", "soon")));
    }

    [Fact]
    public void Malformed_json_names_the_file_and_the_line()
    {
        var file = _files.Write("{\n  \"Mqtt\": {\n    \"Port\": 1883\n    \"Host\": \"x\"\n  }\n}\n");

        var error = Assert.Single(Errors(file));

        Assert.StartsWith($"{file}: malformed JSON at line 4, byte 5: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_json_object_is_rejected()
    {
        var file = _files.Write("[1, 2]");

        Assert.Equal([$"{file}: must hold a JSON object at the top level (found Array)"], Errors(file));
    }

    [Fact]
    public void A_missing_explicit_file_is_an_error_but_a_missing_default_file_is_not()
    {
        Assert.Equal([$"--config: file not found: {_files.Missing}"], Errors(_files.Missing));
        Assert.True(Load(null).IsValid);
    }

    [Fact]
    public void The_default_file_is_read_when_no_config_is_given()
    {
        var defaultFile = _files.Write("""{ "Mqtt": { "Port": 1999 } }""", "default.json");
        var loader = new SettingsLoader(Environment(), Gateway, defaultFile);

        var result = loader.Load(null);

        Assert.Equal(1999, result.Settings!.Mqtt.Port);
        Assert.Equal(defaultFile, result.ConfigFile);
    }

    [Fact]
    public void Tls_files_must_exist_and_tls_settings_need_tls_enabled()
    {
        var errors = Errors(_files.Write("""{ "Mqtt": { "Tls": { "CaFile": "/nonexistent/ca.pem" } } }"""));

        Assert.Equal(
            [
                "Mqtt:Tls:CaFile: file not found (got '/nonexistent/ca.pem')",
                "Mqtt:Tls:Enabled: must be true when other Mqtt:Tls settings are given (they would be ignored)",
            ],
            errors);
    }

    [Fact]
    public void Session_expiry_below_a_day_is_refused()
    {
        Assert.Equal(["Mqtt:SessionExpirySeconds: must be 86400..4294967295 (got 60)"], Errors(null, ("EDGESTORE__MQTT__SESSIONEXPIRYSECONDS", "60")));
    }

    private SettingsLoadResult Load(string? file, params (string Name, string Value)[] environment)
    {
        var loader = new SettingsLoader(Environment(environment), Gateway, _files.Missing);
        return loader.Load(file);
    }

    private List<string> Errors(string? file, params (string Name, string Value)[] environment)
    {
        var result = Load(file, environment);
        Assert.False(result.IsValid);
        Assert.Null(result.Settings);
        return result.Errors.Select(e => e.ToString()).ToList();
    }

    private static Dictionary<string, string?> Environment(params (string Name, string Value)[] variables) =>
        variables.ToDictionary(v => v.Name, v => (string?)v.Value, StringComparer.Ordinal);
}
