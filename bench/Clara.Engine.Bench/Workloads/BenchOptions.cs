using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Clara.CommandLine;
using Clara.Engine.Models;

namespace Clara.Engine.Bench.Workloads;

/// <summary>Options several bench modes share: the random-weight model, the threads, "AxB" sizes.</summary>
internal static class BenchOptions
{
    /// <summary>--model: one of <see cref="RandomWeights.ConfigNames"/>.</summary>
    public static Option<string> Model(params string[] names)
    {
        var option = Options.RequiredText("--model", string.Join("|", names), "the random-weight model shape");
        option.AcceptOnlyFromAmong(names);
        return option;
    }

    public static Option<string> AnyModel() => Model([.. RandomWeights.ConfigNames]);

    /// <summary>--threads N for the CPU backend (default: the current <see cref="BenchSettings.Threads"/>).</summary>
    public static Option<int?> Threads() => Options.OptionalInt("--threads", "N", "CPU backend threads (default: all cores)", min: 1);

    public static Option<string> DType() => Options.Text("--dtype", "f32|bf16|f16|q8_0", "bf16", "the weights' dtype");

    /// <summary>A positive count whose absence means "off" (--prefill TOKENS).</summary>
    public static Option<int?> Count(string name, string helpName, string description) => Options.OptionalInt(name, helpName, description, min: 1);

    /// <summary>"AxB" with positive integers, e.g. --compress 8x275.</summary>
    public static Option<(int A, int B)?> Pair(string name, string helpName, string description) =>
        new(name)
        {
            HelpName = helpName, Description = description,
            CustomParser = r => ParsePair(r, name, r.Tokens[^1].Value),
        };

    /// <summary>A comma-separated list of AxB pairs (e.g. "1x32,16x32").</summary>
    public static Option<(int A, int B)[]> Pairs(string name, string helpName, string description) =>
        new(name)
        {
            HelpName = helpName, Description = description,
            CustomParser = r => r.Tokens[^1].Value.Split(',').Select(part => ParsePair(r, name, part) ?? default).ToArray(),
        };

    /// <summary>A comma-separated list of positive integers (e.g. --callers 1,4,16).</summary>
    public static Option<int[]> Counts(string name, string helpName, int[] fallback, string description) =>
        new(name)
        {
            HelpName = helpName, Description = description, DefaultValueFactory = _ => fallback,
            CustomParser = r =>
            {
                var parts = r.Tokens[^1].Value.Split(',');
                var values = new int[parts.Length];
                for (int i = 0; i < parts.Length; i++)
                {
                    if (int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]) && values[i] > 0) continue;
                    r.AddError($"{name} expects positive integers separated by commas, got '{r.Tokens[^1].Value}'");
                    return fallback;
                }
                return values;
            },
        };

    private static (int A, int B)? ParsePair(ArgumentResult r, string name, string text)
    {
        var parts = text.Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var a)
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) && a > 0 && b > 0)
            return (a, b);
        r.AddError($"{name} expects AxB with positive integers (e.g. 8x275), got '{text}'");
        return null;
    }
}

/// <summary>
/// --device cpu|cuda|cuda:N, given anywhere on the command line (every mode, BenchmarkDotNet's too): every
/// benchmark then runs on that backend.
/// </summary>
internal static class BenchDevice
{
    public static Option<string> Option { get; } = new("--device") { HelpName = "cpu|cuda|cuda:N", Description = "the backend every benchmark runs on", Recursive = true };

    /// <summary>Sets the command's action, choosing the backend first.</summary>
    public static Command WithAction(this Command command, Func<ParseResult, int> run)
    {
        command.SetAction(p =>
        {
            if (p.GetValue(Option) is { } device)
                BenchSettings.BackendFactory = () => Clara.Engine.Backends.BackendFactory.Create(device, BenchSettings.Threads);
            return run(p);
        });
        return command;
    }
}
