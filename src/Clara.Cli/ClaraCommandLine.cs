namespace Clara.Cli;

/// <summary>The `clara` program: one command class per verb.</summary>
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
        new TokenizeCommand(),
    ];

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintUsage(stdout);
            return args.Length == 0 ? 2 : 0;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            stderr.WriteLine($"clara: unknown command '{args[0]}'");
            PrintUsage(stderr);
            return 2;
        }
        try
        {
            using var scope = ParseScope.Begin();
            int code = command.Run(args[1..], stdout, stderr);
            scope.FinishAll();
            return code;
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"clara {command.Name}: {e.Message}");
            stderr.WriteLine($"usage: clara {command.Usage}");
            return 2;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException
                                      or ArgumentException or KeyNotFoundException or InvalidOperationException
                                      or NotSupportedException or FormatException or System.Text.Json.JsonException)
        {
            stderr.WriteLine($"clara {command.Name}: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is DllNotFoundException or Clara.Engine.Native.Cuda.CudaException or Clara.Engine.Native.Nvrtc.NvrtcException
                                      or Clara.Engine.Native.Cublas.CublasException or EntryPointNotFoundException)
        {
            // The GPU stack: a missing driver or library, a CUDA error, a kernel that did not compile.
            stderr.WriteLine($"clara {command.Name}: {e.Message}");
            return 3;
        }
    }

    private static void PrintUsage(TextWriter w)
    {
        w.WriteLine("usage: clara <command> [options]");
        foreach (var c in Commands) w.WriteLine($"  clara {c.Usage}\n      {c.Summary}");
    }
}

internal interface ICommand
{
    string Name { get; }
    string Usage { get; }
    string Summary { get; }
    int Run(string[] args, TextWriter stdout, TextWriter stderr);
}
