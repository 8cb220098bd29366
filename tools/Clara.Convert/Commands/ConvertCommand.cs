using System.CommandLine;
using Clara.CommandLine;
using Clara.Convert.Inputs;
using Clara.Convert.Output;
using Clara.Convert.Planning;

namespace Clara.Convert.Commands;

/// <summary>
/// <c>clara convert</c>: checkpoints in the wild (HF directories, PEFT adapters, torch.save pickles, the CLaRa
/// release) to the engine-native file or to a CLaRa directory; <c>verify</c> and <c>diff</c> for converted files.
/// </summary>
public static class ConvertCommand
{
    /// <summary>
    /// Runs <c>clara convert</c> with <paramref name="args"/> (a leading "convert" is skipped), as the clara program
    /// would: the same parser, messages and exit codes.
    /// </summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var rest = args.Length > 0 && args[0] == "convert" ? args[1..] : args;
        var root = new RootCommand { Create() };
        return CommandLineRunner.Run(root, "clara", ["convert", .. rest], stdout, stderr);
    }

    /// <summary>The convert command, with verify and diff under it.</summary>
    public static Command Create()
    {
        var options = new ConvertOptions();
        var bench = new SyntheticBenchOptions();
        var command = new Command("convert",
            "convert HF/PEFT/torch.save/CLaRa-release checkpoints to the engine-native file or a CLaRa directory; verify and diff converted files");
        foreach (var symbol in options.All.Concat(bench.All))
        {
            if (symbol is Option o) command.Options.Add(o);
            else command.Arguments.Add((Argument)symbol);
        }
        options.AddRulesTo(command, bench.Run);
        command.Subcommands.Add(VerifyCommand.Create());
        command.Subcommands.Add(DiffCommand.Create());
        command.SetAction(p =>
        {
            var stdout = p.InvocationConfiguration.Output;
            var stderr = p.InvocationConfiguration.Error;
            if (p.GetValue(bench.Run)) return bench.Invoke(p, stdout, stderr);
            bool stderrIsTerminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
            return Convert(options.Read(p), stdout, new ProgressSink(stderr, stderrIsTerminal));
        });
        return command;
    }

    private static int Convert(ConvertArguments arguments, TextWriter stdout, ProgressSink progress)
    {
        // The output is checked before the inputs are read: a conversion can take an hour.
        if (!arguments.DryRun)
        {
            IReadOnlyList<string> removed;
            if (arguments.OutFile is { } file) Clara.Engine.IO.OutputTarget.Prepare(file, out removed);
            else removed = ClaraDirectoryWriter.CheckTarget(arguments.OutDirectory!);
            foreach (var path in removed) stdout.WriteLine($"note: removed {path}, left by an interrupted conversion");
        }
        using var inputs = InputLoader.Load(arguments.Inputs, arguments.ConfigPath, arguments.ClaraPath);
        var plan = PlanBuilder.Build(inputs, new PlanOptions(arguments.DType, arguments.LoraAlpha));
        if (arguments.Quiet) progress = ProgressSink.None;

        if (arguments.DryRun)
        {
            DryRunReport.Print(plan, arguments, stdout);
            return 0;
        }
        foreach (var input in plan.Inputs) stdout.WriteLine($"input {input.Path}: {input.Describe()}");
        foreach (var note in plan.Notes) stdout.WriteLine($"note: {note}");
        if (arguments.OutFile is { } outFile)
        {
            var result = EngineFileWriter.Write(plan, outFile, progress);
            stdout.WriteLine($"wrote {result.Path}: {result.TensorCount} tensors, {Sizes.Format(result.FileBytes)}, " +
                             $"{plan.Adapters.Count} adapter(s){(plan.Adapters.Count > 0 ? ": " + string.Join(", ", plan.Adapters.Select(a => a.Name)) : "")}");
            if (result.UnalignedTensors.Count > 0)
                stdout.WriteLine($"note: {result.UnalignedTensors.Count} tensor(s) not on a {EngineFileWriter.Alignment}-byte boundary (sizes not a multiple of it): " +
                                 string.Join(", ", result.UnalignedTensors.Take(5)) + (result.UnalignedTensors.Count > 5 ? ", ..." : ""));
        }
        else
        {
            string dir = ClaraDirectoryWriter.Write(plan, arguments.OutDirectory!, progress);
            stdout.WriteLine($"wrote CLaRa directory {dir}: base model ({plan.VocabSize} tokens), {plan.Adapters.Count} adapter(s)");
        }
        return 0;
    }
}
