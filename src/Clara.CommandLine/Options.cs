using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Clara.CommandLine;

/// <summary>
/// Typed options whose values are read with the invariant culture and refused with a message naming the option
/// and the value (System.CommandLine's own message names the CLR type instead).
/// </summary>
public static class Options
{
    public static Option<string> Text(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description };

    public static Option<string> RequiredText(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description, Required = true };

    public static Option<string> Text(string name, string helpName, string fallback, string description) =>
        new(name) { HelpName = helpName, Description = description, DefaultValueFactory = _ => fallback };

    /// <summary>A switch: "--name", "--name=true" or "--name=false".</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description, Arity = ArgumentArity.ZeroOrOne };

    public static Option<int?> OptionalInt(string name, string helpName, string description, int min = int.MinValue) =>
        new(name) { HelpName = helpName, Description = description, CustomParser = r => Int(r, name, min) };

    public static Option<int> Int(string name, string helpName, int fallback, string description, int min = int.MinValue) =>
        new(name) { HelpName = helpName, Description = description, DefaultValueFactory = _ => fallback, CustomParser = r => Int(r, name, min) ?? fallback };

    public static Option<long> Long(string name, string helpName, long fallback, string description, long min = long.MinValue) =>
        new(name)
        {
            HelpName = helpName, Description = description, DefaultValueFactory = _ => fallback,
            CustomParser = r => !long.TryParse(Single(r), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                ? Refuse(r, fallback, $"{name} expects an integer, got '{Single(r)}'")
                : v < min ? Refuse(r, fallback, $"{name} must be ≥ {min}, got {v}") : v,
        };

    public static Option<ulong> ULong(string name, string helpName, ulong fallback, string description) =>
        new(name)
        {
            HelpName = helpName, Description = description, DefaultValueFactory = _ => fallback,
            CustomParser = r => ulong.TryParse(Single(r), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                ? v : Refuse(r, fallback, $"{name} expects a non-negative integer, got '{Single(r)}'"),
        };

    /// <summary>A finite number: "NaN", "Infinity" and values past float's range (1e39) are refused.</summary>
    public static Option<float?> OptionalFloat(string name, string helpName, string description, double min = double.MinValue) =>
        new(name) { HelpName = helpName, Description = description, CustomParser = r => (float?)Finite(r, name, float.MaxValue, min) };

    public static Option<float> Float(string name, string helpName, float fallback, string description, double min = double.MinValue) =>
        new(name) { HelpName = helpName, Description = description, DefaultValueFactory = _ => fallback, CustomParser = r => (float?)Finite(r, name, float.MaxValue, min) ?? fallback };

    public static Option<double?> OptionalDouble(string name, string helpName, string description, double min = double.MinValue) =>
        new(name) { HelpName = helpName, Description = description, CustomParser = r => Finite(r, name, double.MaxValue, min) };

    public static Option<double> Double(string name, string helpName, double fallback, string description, double min = double.MinValue) =>
        new(name) { HelpName = helpName, Description = description, DefaultValueFactory = _ => fallback, CustomParser = r => Finite(r, name, double.MaxValue, min) ?? fallback };

    /// <summary>A comma-separated list of token ids ("1,2,3").</summary>
    public static Option<int[]?> TokenIds(string name, string description) =>
        new(name) { HelpName = "IDS", Description = description, CustomParser = r => Ids(r, name) };

    /// <summary>A comma-separated list of names ("a,b"), empty entries dropped.</summary>
    public static Option<string[]?> Names(string name, string helpName, string description) =>
        new(name)
        {
            HelpName = helpName, Description = description,
            CustomParser = r => Single(r).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
        };

    /// <summary>
    /// The option's value, or null when it was not given: for list options, where <see cref="ParseResult.GetValue{T}(Option{T})"/>
    /// answers an empty list for an absent option (and an empty prompt is not "no prompt").
    /// </summary>
    public static T? GivenValue<T>(this ParseResult p, Option<T> option) where T : class? =>
        p.GetResult(option) is { Implicit: false } ? p.GetValue(option) : null;

    private static string Single(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";

    private static int? Int(ArgumentResult r, string name, int min)
    {
        string text = Single(r);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            return Refuse<int?>(r, null, $"{name} expects an integer, got '{text}'");
        if (v < min) return Refuse<int?>(r, null, min == 1 ? $"{name} must be positive, got {v}" : $"{name} must be ≥ {min}, got {v}");
        return v;
    }

    private static double? Finite(ArgumentResult r, string name, double range, double min)
    {
        string text = Single(r);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            return Refuse<double?>(r, null, $"{name} expects a number, got '{text}'");
        if (!double.IsFinite(v) || Math.Abs(v) > range) return Refuse<double?>(r, null, $"{name} must be a finite number, got '{text}'");
        if (v < min) return Refuse<double?>(r, null, string.Create(CultureInfo.InvariantCulture, $"{name} must be ≥ {min}, got {text}"));
        return v;
    }

    private static int[]? Ids(ArgumentResult r, string name)
    {
        var parts = Single(r).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]))
                return Refuse<int[]?>(r, null, $"{name}: '{parts[i]}' is not a token id");
        return ids.Length == 0 ? Refuse<int[]?>(r, null, $"{name} holds no token ids") : ids;
    }

    private static T Refuse<T>(ArgumentResult r, T fallback, string message)
    {
        r.AddError(message);
        return fallback;
    }
}
