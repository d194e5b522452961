using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace EdgeStore.Configuration;

/// <summary>
/// Checks a configuration tree against the shape of <see cref="EdgeStoreSettings"/> before it is bound: every key must
/// name a property (an operator's typo must not silently fall back to a default), and every value must convert to the
/// property's type. The configuration binder alone would ignore unknown keys and stop at the first bad value; this
/// collects every problem so one edit fixes them all.
/// </summary>
internal static class SettingsSchema
{
    /// <summary>
    /// Adds an error to <paramref name="unknownKeys"/> for each key that names no setting, and to
    /// <paramref name="badValues"/> for each value that does not convert to its setting's type. Paths in errors use the
    /// settings' own spelling (`Mqtt:KeepAliveSeconds`, whatever the case of the key that set it).
    /// <paramref name="describeSource"/> turns a key path as given into where it came from ("in FILE", "from environment variable X").
    /// </summary>
    public static void Check(IConfiguration configuration, Func<string, string> describeSource, List<SettingsError> unknownKeys, List<SettingsError> badValues) =>
        Check(configuration, typeof(EdgeStoreSettings), describeSource, unknownKeys, badValues);

    /// <summary>The same check against any settings type (tests use small ones).</summary>
    public static void Check(IConfiguration configuration, Type settingsType, Func<string, string> describeSource, List<SettingsError> unknownKeys, List<SettingsError> badValues) =>
        CheckObject(configuration.GetChildren(), settingsType, string.Empty, new Sink(describeSource, unknownKeys, badValues));

    private static void CheckObject(IEnumerable<IConfigurationSection> children, Type type, string prefix, Sink sink)
    {
        var properties = SettableProperties(type);
        foreach (var child in children)
        {
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                var known = string.Join(", ", properties.Select(p => p.Name));
                sink.UnknownKeys.Add(new SettingsError(prefix + child.Key, $"unknown setting {sink.DescribeSource(child.Path)} (known here: {known})"));
                continue;
            }

            CheckValue(child, property.PropertyType, prefix + property.Name, sink);
        }
    }

    private static void CheckValue(IConfigurationSection section, Type type, string path, Sink sink)
    {
        var errors = sink.BadValues;
        var children = section.GetChildren().ToList();
        var underlying = Nullable.GetUnderlyingType(type) ?? type;

        if (IsScalar(underlying))
        {
            if (children.Count > 0)
            {
                errors.Add(new SettingsError(path, $"must be a single value, not an object or a list {sink.DescribeSource(section.Path)}"));
                return;
            }

            var reason = ScalarProblem(underlying, section.Value, allowEmpty: underlying == typeof(string) || underlying != type);
            if (reason is not null)
            {
                errors.Add(new SettingsError(path, reason));
            }

            return;
        }

        var elementType = ListElementType(type);
        if (elementType is not null)
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

                CheckValue(item, elementType, path + ConfigurationPath.KeyDelimiter + item.Key, sink);
            }

            return;
        }

        if (children.Count == 0 && !string.IsNullOrEmpty(section.Value))
        {
            errors.Add(new SettingsError(path, $"must be an object ({{...}}) (got '{section.Value}')"));
            return;
        }

        CheckObject(children, type, path + ConfigurationPath.KeyDelimiter, sink);
    }

    /// <summary>The reason <paramref name="value"/> does not convert to <paramref name="type"/>, or null when it does.</summary>
    private static string? ScalarProblem(Type type, string? value, bool allowEmpty)
    {
        if (string.IsNullOrEmpty(value))
        {
            return allowEmpty ? null : $"{Describe(type)} (got '')";
        }

        var ok = type == typeof(string)
            || (type == typeof(int) && int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            || (type == typeof(long) && long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            || (type == typeof(bool) && bool.TryParse(value, out _))
            || (type == typeof(double) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
            || (type != typeof(int) && type != typeof(long) && type != typeof(bool) && type != typeof(double) && ConvertsWithTypeConverter(type, value));
        return ok ? null : $"{Describe(type)} (got '{value}')";
    }

    /// <summary>Any other scalar (enums, TimeSpan, ...) converts the way the configuration binder converts it.</summary>
    private static bool ConvertsWithTypeConverter(Type type, string value)
    {
        try
        {
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type) =>
        type == typeof(bool) ? "must be true or false"
        : type == typeof(string) ? "must be text"
        : type == typeof(double) ? "must be a number"
        : type.IsEnum ? $"must be one of {string.Join(", ", Enum.GetNames(type))}"
        : type == typeof(int) || type == typeof(long) ? "must be a whole number"
        : $"must be a {type.Name} value";

    /// <summary>A type bound from one string, as the configuration binder decides it: anything a TypeConverter reads from text.</summary>
    private static bool IsScalar(Type type) =>
        type == typeof(string) || type.IsPrimitive || type.IsEnum || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    private static Type? ListElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    private sealed record Sink(Func<string, string> DescribeSource, List<SettingsError> UnknownKeys, List<SettingsError> BadValues);

    private static PropertyInfo[] SettableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToArray();
}
