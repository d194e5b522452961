using System.Globalization;
using System.Text.Json;

namespace EdgeStore.Query;

/// <summary>
/// A `--field` path into a JSON payload: property names separated by dots and `[N]` for the N-th array item
/// (0-based), such as `temp`, `env.temp`, `values[0]` or `readings[2].v`. A name is any text without `.`, `[` or `]`.
/// A path that leads nowhere (a missing name, an index past the end, a payload that is not JSON) finds no value.
/// </summary>
internal sealed class JsonFieldPath
{
    private readonly IReadOnlyList<object> _steps; // string: a property name; int: an array index

    private JsonFieldPath(string text, IReadOnlyList<object> steps)
    {
        Text = text;
        _steps = steps;
    }

    /// <summary>The path as given; it names the output column.</summary>
    public string Text { get; }

    public static bool TryParse(string text, out JsonFieldPath? path)
    {
        path = null;
        var steps = new List<object>();
        var i = 0;
        var expectName = true; // at the start and after a dot a name must follow (or, at the start, an index)
        while (i < text.Length)
        {
            if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0 || (expectName && steps.Count > 0)
                    || !int.TryParse(text.AsSpan(i + 1, close - i - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    return false;
                }

                steps.Add(index);
                i = close + 1;
                expectName = false;
                if (i < text.Length && text[i] != '[' && text[i] != '.')
                {
                    return false;
                }
            }
            else if (text[i] == '.')
            {
                if (expectName)
                {
                    return false;
                }

                expectName = true;
                i++;
            }
            else
            {
                if (!expectName)
                {
                    return false;
                }

                var end = text.IndexOfAny(['.', '[', ']'], i);
                end = end < 0 ? text.Length : end;
                if (end < text.Length && text[end] == ']')
                {
                    return false;
                }

                steps.Add(text[i..end]);
                i = end;
                expectName = false;
            }
        }

        if (steps.Count == 0 || expectName)
        {
            return false;
        }

        path = new JsonFieldPath(text, steps);
        return true;
    }

    /// <summary>The value at this path, or null when there is none.</summary>
    public JsonElement? Find(JsonElement root)
    {
        var current = root;
        foreach (var step in _steps)
        {
            if (step is string name)
            {
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
                {
                    return null;
                }
            }
            else
            {
                var index = (int)step;
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[index];
            }
        }

        return current;
    }
}
