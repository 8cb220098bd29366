using System.Globalization;

namespace Clara.Cli;

/// <summary>
/// "--name value" options, "--flag" switches and positional words. Every option a command reads and every
/// positional word it looks at is recorded, so that a misspelt option or a stray word (an unquoted question
/// cut into pieces) is a usage error instead of being silently ignored.
/// </summary>
/// <remarks>
/// Strictness does not depend on each command remembering it: every instance made while
/// <see cref="ClaraCommandLine"/> runs a command joins a <see cref="ParseScope"/>, and the dispatcher calls
/// <see cref="Finish"/> on any instance the command did not finish itself. Commands call <see cref="RejectUnknown"/>
/// (or <see cref="Finish"/>) after their last read and before any work, so a mistake costs nothing.
/// </remarks>
internal sealed class CommandArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandArguments(IEnumerable<string> args, IReadOnlySet<string> switches)
    {
        var words = new List<string>();
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
                words.Add(a);
            }
        }
        Positional = new PositionalWords(words);
        ParseScope.Join(this);
    }

    /// <summary>Positional words; a word the command never indexes (or enumerates) is reported by <see cref="Finish"/>.</summary>
    public PositionalWords Positional { get; }

    /// <summary>True once <see cref="Finish"/> has run.</summary>
    public bool Finished { get; private set; }

    public string? Optional(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public string Required(string name) => Optional(name) ?? throw new UsageException($"missing --{name}");

    /// <summary>True for "--name" and "--name=true", false when absent or "--name=false"; any other value is a usage error.</summary>
    public bool Flag(string name)
    {
        _read.Add(name);
        if (!_options.TryGetValue(name, out var v)) return false;
        return v switch
        {
            null => true,
            _ when string.Equals(v, "true", StringComparison.OrdinalIgnoreCase) => true,
            _ when string.Equals(v, "false", StringComparison.OrdinalIgnoreCase) => false,
            _ => throw new UsageException($"--{name} is a switch: give it alone, or as --{name}=true / --{name}=false, not '{v}'"),
        };
    }

    public int? OptionalInt(string name)
    {
        var v = Optional(name);
        if (v is null) return null;
        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n : throw new UsageException($"--{name} expects an integer, got '{v}'");
    }

    /// <summary>A finite number: "NaN", "Infinity" and values past float's range (1e39) are usage errors.</summary>
    public float? OptionalFloat(string name)
    {
        var v = Optional(name);
        if (v is null) return null;
        if (!float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
            throw new UsageException($"--{name} expects a number, got '{v}'");
        if (!float.IsFinite(f)) throw new UsageException($"--{name} must be a finite number, got '{v}'");
        return f;
    }

    /// <summary>A comma-separated list of token ids ("1,2,3").</summary>
    public int[]? OptionalIds(string name)
    {
        var v = Optional(name);
        if (v is null) return null;
        var parts = v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out ids[i]))
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

    /// <summary>Call after reading every option and positional word: rejects options the command does not know and words it did not use.</summary>
    public void RejectUnknown() => Finish();

    /// <summary>
    /// Rejects options the command never read and positional words it never looked at. Safe to call twice; the
    /// dispatcher calls it for commands that did not.
    /// </summary>
    public void Finish()
    {
        Finished = true;
        var unknown = _options.Keys.Where(k => !_read.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0) throw new UsageException("unknown option(s): " + string.Join(", ", unknown.Select(u => "--" + u)));
        var stray = Positional.Unconsumed();
        if (stray.Count > 0)
            throw new UsageException($"unexpected argument(s) {string.Join(" ", stray.Select(w => $"'{w}'"))}" +
                                     " (quote a value that contains spaces: --question \"What is ...\")");
    }
}

/// <summary>The positional words of a command line, remembering which ones the command looked at.</summary>
internal sealed class PositionalWords(IReadOnlyList<string> words) : IReadOnlyList<string>
{
    private readonly bool[] _consumed = new bool[words.Count];

    public int Count => words.Count;

    public string this[int index]
    {
        get
        {
            var word = words[index];
            _consumed[index] = true;
            return word;
        }
    }

    public IEnumerator<string> GetEnumerator()
    {
        Array.Fill(_consumed, true);
        return words.GetEnumerator();
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public IReadOnlyList<string> Unconsumed() => words.Where((_, i) => !_consumed[i]).ToList();
}

/// <summary>
/// The <see cref="CommandArguments"/> made while one command runs, so the dispatcher can finish the ones the
/// command left unfinished (a command written without <see cref="CommandArguments.RejectUnknown"/> is still strict).
/// </summary>
internal sealed class ParseScope : IDisposable
{
    private static readonly AsyncLocal<ParseScope?> Current = new();
    private readonly List<CommandArguments> _members = [];
    private readonly ParseScope? _outer;

    private ParseScope()
    {
        _outer = Current.Value;
        Current.Value = this;
    }

    public static ParseScope Begin() => new();

    public static void Join(CommandArguments arguments) => Current.Value?._members.Add(arguments);

    /// <summary>Throws <see cref="UsageException"/> when an unfinished member holds an unknown option or a stray word.</summary>
    public void FinishAll()
    {
        foreach (var arguments in _members.Where(m => !m.Finished)) arguments.Finish();
    }

    public void Dispose() => Current.Value = _outer;
}

/// <summary>A mistake in how the program was called: reported with the usage, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
