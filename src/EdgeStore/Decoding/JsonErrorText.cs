using System.Text.Json;

namespace EdgeStore.Decoding;

/// <summary>
/// Turns a System.Text.Json error into the words an operator reads in a quarantine reason or a start-up error:
/// the position (1-based line and byte) and the parser's reason without its own position suffix.
/// </summary>
internal static class JsonErrorText
{
    /// <summary>"byte 12" for a single-line document, "line 3, byte 5" otherwise (both 1-based).</summary>
    public static string Position(JsonException exception)
    {
        var line = (exception.LineNumber ?? 0) + 1;
        var bytePosition = (exception.BytePositionInLine ?? 0) + 1;
        return line == 1 ? $"byte {bytePosition}" : $"line {line}, byte {bytePosition}";
    }

    public static string Reason(JsonException exception)
    {
        var message = exception.Message;
        var suffix = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (suffix < 0)
        {
            suffix = message.IndexOf(" Path:", StringComparison.Ordinal);
        }

        return (suffix >= 0 ? message[..suffix] : message).TrimEnd();
    }
}
