using System.Globalization;

namespace Clara.Corpus;

/// <summary>"--name value" options of one verb; a misspelt option is an error, not silently ignored.</summary>
internal sealed class ToolArguments
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public ToolArguments(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
                throw new ArgumentException($"expected '--option value', got '{args[i]}'");
            if (!_options.TryAdd(args[i][2..], args[++i])) throw new ArgumentException($"option {args[i - 1]} is given twice");
        }
    }

    public string? Optional(string name)
    {
        _read.Add(name);
        return _options.GetValueOrDefault(name);
    }

    public string Required(string name) => Optional(name) ?? throw new ArgumentException($"missing --{name}");

    public int Int(string name, int fallback) =>
        Optional(name) is not { } v ? fallback
        : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n
        : throw new ArgumentException($"--{name} expects an integer, got '{v}'");

    public ulong Seed(string name, ulong fallback) =>
        Optional(name) is not { } v ? fallback
        : ulong.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong n) ? n
        : throw new ArgumentException($"--{name} expects a non-negative integer, got '{v}'");

    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_read.Contains(k)).Order().ToList();
        if (unknown.Count > 0) throw new ArgumentException("unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)));
    }
}
