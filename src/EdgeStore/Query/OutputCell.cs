using System.Globalization;

namespace EdgeStore.Query;

/// <summary>
/// One value of an output row. <see cref="Text"/> is what CSV and tables show; for <see cref="OutputCellKind.Json"/>,
/// <see cref="Json"/> is the same value as compact JSON (no line breaks), which JSON lines embeds.
/// </summary>
internal readonly record struct OutputCell(OutputCellKind Kind, string Text, string? Json = null)
{
    public static OutputCell Null { get; } = new(OutputCellKind.Null, string.Empty);

    public static OutputCell Of(string text) => new(OutputCellKind.Text, text);

    public static OutputCell Of(long number) => new(OutputCellKind.Number, number.ToString(CultureInfo.InvariantCulture));

    public static OutputCell Of(bool value) => new(OutputCellKind.Boolean, value ? "true" : "false");

    /// <summary>A number exactly as JSON wrote it (<c>21.50</c> stays <c>21.50</c>).</summary>
    public static OutputCell JsonNumber(string rawNumber) => new(OutputCellKind.Number, rawNumber);

    public static OutputCell JsonValue(string text, string compactJson) => new(OutputCellKind.Json, text, compactJson);
}
