using System.Text;

namespace EdgeStore.Query;

/// <summary>
/// How a stored payload is shown in query output: its UTF-8 text when it is valid UTF-8, otherwise `base64:` and the
/// bytes in base64. Text that itself starts with `base64:` is shown encoded too, so the form is never ambiguous.
/// </summary>
internal static class PayloadText
{
    public const string Base64Prefix = "base64:";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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
