using System.CommandLine;
using Clara.CommandLine;

namespace Clara.Cli;

/// <summary>The `clara` program: one command class per verb, parsed and run by <see cref="CommandLineRunner"/>.</summary>
public static class ClaraCommandLine
{
    private static readonly ICommand[] Commands =
    [
        new InfoCommand(),
        new LogitsCommand(),
        new CompressCommand(),
        new RerankCommand(),
        new AskCommand(),
        new IndexCommand(),
        new ServeCommand(),
        new EvalCommand(),
        new ConvertVerb(),
        new SelfTestCommand(),
        new GradCommand(),
        new TrainCommand(),
        new AverageCommand(),
        new TokenizeCommand(),
    ];

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = CreateRoot();
        if (args.Length == 0)
        {
            // No command at all: the overview, and the exit code of a usage mistake.
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
            return ExitCodes.Usage;
        }
        if (args is ["help", .. var rest]) args = [.. rest, "--help"];
        return CommandLineRunner.Run(root, "clara", args, stdout, stderr);
    }

    /// <summary>The whole command tree (each command's options are defined in its own class).</summary>
    internal static RootCommand CreateRoot()
    {
        var root = new RootCommand("clara: runs and trains CLaRa models (compression, reranking, generation) on the CPU or CUDA");
        foreach (var command in Commands) root.Subcommands.Add(command.Create());
        return root;
    }
}

internal interface ICommand
{
    /// <summary>The command with its options and arguments, whose action runs it.</summary>
    Command Create();
}

/// <summary>Ties a command's action to the run method of its class, with the streams the caller chose.</summary>
internal static class CommandAction
{
    public static Command With(this Command command, Func<ParseResult, TextWriter, TextWriter, int> run)
    {
        command.SetAction(p => run(p, p.InvocationConfiguration.Output, p.InvocationConfiguration.Error));
        return command;
    }

    public static Command With(this Command command, params Symbol[] symbols)
    {
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Option o: command.Options.Add(o); break;
                case Argument a: command.Arguments.Add(a); break;
                default: throw new ArgumentException($"{symbol.Name} is neither an option nor an argument", nameof(symbols));
            }
        }
        return command;
    }
}
