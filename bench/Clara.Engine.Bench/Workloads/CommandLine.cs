namespace Clara.Engine.Bench.Workloads;

/// <summary>"--name value" options of the console modes, with errors that name the option.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public CommandLine(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{args[i]}'");
            bool hasValue = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
            _options[args[i]] = hasValue ? args[++i] : null;
        }
    }

    public bool Has(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    public string? String(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v ?? throw new ArgumentException($"{name} needs a value") : null;
    }

    public int Int(string name, int fallback)
    {
        var text = String(name);
        if (text is null) return fallback;
        return int.TryParse(text, out var v) && v > 0 ? v : throw new ArgumentException($"{name} must be a positive integer, got '{text}'");
    }

    /// <summary>"AxB" → (A, B), e.g. --compress 8x275.</summary>
    public (int A, int B)? Pair(string name)
    {
        var text = String(name);
        if (text is null) return null;
        return ParsePair(name, text);
    }

    /// <summary>A comma-separated list of AxB pairs (e.g. "1x32,16x32"); empty when the option is absent.</summary>
    public IReadOnlyList<(int A, int B)> Pairs(string name)
    {
        var text = String(name);
        if (text is null) return [];
        return text.Split(',').Select(part => ParsePair(name, part)).ToArray();
    }

    private static (int A, int B) ParsePair(string name, string text)
    {
        var parts = text.Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], out var a) && int.TryParse(parts[1], out var b) && a > 0 && b > 0) return (a, b);
        throw new ArgumentException($"{name} expects AxB with positive integers (e.g. 8x275), got '{text}'");
    }

    /// <summary>Fails on options nobody asked for, so a typo is not silently ignored.</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown)}");
    }
}
