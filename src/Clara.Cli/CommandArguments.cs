namespace Clara.Cli;

/// <summary>
/// "--name value" options, "--flag" switches and positional words. Every option a command reads is recorded so
/// that a misspelt option is an error instead of being silently ignored.
/// </summary>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandArguments(IEnumerable<string> args, IReadOnlySet<string> switches)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                else if (!switches.Contains(name))
                {
                    if (i + 1 >= list.Count) throw new UsageException($"option --{name} needs a value");
                    value = list[++i];
                }
                if (!_options.TryAdd(name, value)) throw new UsageException($"option --{name} is given twice");
            }
            else
            {
                Positional.Add(a);
            }
        }
    }

    public List<string> Positional { get; } = [];

    public string? Optional(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"missing --{name}");

    public bool Flag(string name)
    {
        _read.Add(name);
        return _options.ContainsKey(name);
    }

    public int? OptionalInt(string name)
    {
        var v = Optional(name);
        if (v is null) return null;
        return int.TryParse(v, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n : throw new UsageException($"--{name} expects an integer, got '{v}'");
    }

    public float? OptionalFloat(string name)
    {
        var v = Optional(name);
        if (v is null) return null;
        return float.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var f)
            ? f : throw new UsageException($"--{name} expects a number, got '{v}'");
    }

    /// <summary>A comma-separated list of token ids ("1,2,3").</summary>
    public int[]? OptionalIds(string name)
    {
        var v = Optional(name);
        if (v is null) return null;
        var parts = v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out ids[i]))
                throw new UsageException($"--{name}: '{parts[i]}' is not a token id");
        if (ids.Length == 0) throw new UsageException($"--{name} holds no token ids");
        return ids;
    }

    /// <summary>The backend named by --device (default cpu) with --threads for the CPU; the caller disposes it.</summary>
    public Clara.Engine.Backends.IBackend Backend()
    {
        var device = Optional("device") ?? "cpu";
        int? threads = OptionalInt("threads");
        if (threads is <= 0) throw new UsageException("--threads must be positive");
        return Clara.Engine.Backends.BackendFactory.Create(device, threads);
    }

    /// <summary>Call after reading every option: rejects options the command does not know.</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_read.Contains(k)).Order().ToList();
        if (unknown.Count > 0) throw new UsageException("unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)));
    }
}

/// <summary>A mistake in how the program was called: reported with the usage, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
