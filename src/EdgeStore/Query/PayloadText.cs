using System.Text;

namespace EdgeStore.Query;

/// <summary>
/// How a stored payload is shown in query output: its UTF-8 text when it is valid UTF-8, otherwise `base64:` and the
/// bytes in base64. Text that itself starts with `base64:` is shown encoded too, so the form is never ambiguous.
/// In JSON lines a payload that is a JSON object or array is embedded as JSON instead (<see cref="Cell"/>).
/// </summary>
internal static class PayloadText
{
    public const string Base64Prefix = "base64:";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The payload as an output cell: its text (<see cref="Of"/>), carrying the compact JSON too when
    /// <paramref name="embedJson"/> and the payload is a JSON object or array.
    /// </summary>
    public static OutputCell Cell(byte[] payload, bool embedJson)
    {
        var text = Of(payload);
        if (embedJson)
        {
            using var document = JsonPayload.TryParse(payload);
            if (document is not null)
            {
                return OutputCell.JsonValue(text, JsonPayload.Compact(document.RootElement));
            }
        }

        return OutputCell.Of(text);
    }

    public static string Of(byte[] payload)
    {
        try
        {
            var text = StrictUtf8.GetString(payload);
            if (!text.StartsWith(Base64Prefix, StringComparison.Ordinal))
            {
                return text;
            }
        }
        catch (DecoderFallbackException)
        {
        }

        return Base64Prefix + Convert.ToBase64String(payload);
    }
}
