using System.Text.Json.Serialization;
using EdgeStore.Configuration;
using EdgeStore.Safety;

namespace EdgeStore;

/// <summary>
/// The types EdgeStore (de)serializes with System.Text.Json, with their code generated at build time: no reflection,
/// so the Native AOT build reads and writes them exactly as the JIT build does.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(UncleanExitLog))]
[JsonSerializable(typeof(EdgeStoreSettings))]
internal sealed partial class EdgeStoreJsonContext : JsonSerializerContext;
