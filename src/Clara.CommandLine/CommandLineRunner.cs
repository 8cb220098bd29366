using System.CommandLine;
using System.CommandLine.Parsing;

namespace Clara.CommandLine;

/// <summary>
/// Parses a command line against a command tree, reports every usage mistake (unknown options, stray words,
/// malformed values, broken option rules) in one place with exit <see cref="ExitCodes.Usage"/>, runs the chosen
/// command, and turns what it throws into the exit code <see cref="ExitCodes.For"/> gives.
/// </summary>
public static class CommandLineRunner
{
    /// <remarks>
    /// A command whose <see cref="Command.TreatUnmatchedTokensAsErrors"/> is false reads its leftover words itself
    /// (the bench hands them to BenchmarkDotNet); every other command refuses them here.
    /// </remarks>
    public static int Run(RootCommand root, string program, IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        var result = root.Parse(args);
        string name = CommandPath(result, program);
        // Help clears the parse errors: "clara ask --help" works without the required options.
        if (result.Action is not { ClearsParseErrors: true })
        {
            var problems = Problems(result, args);
            if (problems.Count > 0)
            {
                foreach (var problem in problems) stderr.WriteLine($"{name}: {problem}");
                stderr.WriteLine($"see '{name} --help'");
                return ExitCodes.Usage;
            }
        }
        try
        {
            return result.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                // The commands handle Ctrl-C themselves (training saves a checkpoint first).
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception e)
        {
            return Report(e, name, stderr);
        }
    }

    /// <summary>Writes what ended a command the way its exit code says: a bug with its stack trace, the rest as a message.</summary>
    public static int Report(Exception e, string name, TextWriter stderr)
    {
        int code = ExitCodes.For(e);
        switch (code)
        {
            case ExitCodes.Internal:
                stderr.WriteLine($"{name}: internal error (a bug, please report it): {e}");
                break;
            case ExitCodes.Usage:
                stderr.WriteLine($"{name}: {e.Message}");
                stderr.WriteLine($"see '{name} --help'");
                break;
            default:
                stderr.WriteLine($"{name}: {e.Message}");
                break;
        }
        return code;
    }

    /// <summary>
    /// The parse errors, with the parser's one "Unrecognized command or argument" error per leftover word replaced
    /// by one message: the unknown options, else the stray words (or the unknown command).
    /// </summary>
    private static List<string> Problems(ParseResult result, IReadOnlyList<string> args)
    {
        var leftovers = result.CommandResult.Command.TreatUnmatchedTokensAsErrors ? result.UnmatchedTokens : [];
        var problems = result.Errors
            .Where(e => !(e.SymbolResult is CommandResult && leftovers.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal))))
            .Select(e => e.Message).Distinct().ToList();
        var unknown = leftovers.Where(LooksLikeAnOption).Concat(OptionsTakenAsArguments(result)).ToList();
        var words = leftovers.Except(unknown).ToList();
        // "--json=maybe": the parser leaves "maybe" over; name the option it was given to.
        foreach (var word in words.ToList())
        {
            if (args.FirstOrDefault(a => LooksLikeAnOption(a) && a.EndsWith("=" + word, StringComparison.Ordinal)) is not { } given) continue;
            problems.Add($"{given}: '{word}' is not a value {given[..given.IndexOf('=')]} takes");
            words.Remove(word);
        }
        // A word after an unknown option is most likely its value: naming the option is enough then.
        if (unknown.Count > 0) problems.Insert(0, "unknown option(s): " + string.Join(", ", unknown));
        else if (words.Count > 0 && result.CommandResult.Command is RootCommand { Subcommands.Count: > 0 })
            return [$"unknown command '{words[0]}'"];
        else if (words.Count > 0)
            problems.Insert(0, $"unexpected argument(s) {string.Join(" ", words.Select(w => $"'{w}'"))} (quote a value that contains spaces)");
        return problems;
    }

    /// <summary>
    /// Unknown "--name" words that the parser handed to a positional argument (clara info --bogus reads PATH "--bogus").
    /// After "--" such words are meant as arguments.
    /// </summary>
    private static IEnumerable<string> OptionsTakenAsArguments(ParseResult result)
    {
        if (result.Tokens.Any(t => t.Type == TokenType.DoubleDash)) return [];
        return result.CommandResult.Command.Arguments
            .SelectMany(a => result.GetResult(a)?.Tokens ?? [])
            .Select(t => t.Value).Where(LooksLikeAnOption);
    }

    private static bool LooksLikeAnOption(string word) =>
        word.StartsWith('-') && word.Length > 1 && !double.TryParse(word, System.Globalization.CultureInfo.InvariantCulture, out _);

    private static string CommandPath(ParseResult result, string program)
    {
        var names = new List<string>();
        for (SymbolResult? r = result.CommandResult; r is not null; r = r.Parent)
            if (r is CommandResult { Command: not RootCommand } c) names.Insert(0, c.Command.Name);
        return string.Join(" ", [program, .. names]);
    }
}
