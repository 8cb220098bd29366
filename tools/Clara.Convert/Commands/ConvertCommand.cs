using Clara.Convert.Inputs;
using Clara.Convert.Output;
using Clara.Convert.Pickle;
using Clara.Convert.Planning;
using Clara.Engine.IO.Safetensors;

namespace Clara.Convert.Commands;

/// <summary>
/// <c>clara convert</c>: checkpoints in the wild (HF directories, PEFT adapters, torch.save pickles, the CLaRa
/// release) to the engine-native file or to a CLaRa directory; <c>verify</c> and <c>diff</c> for converted files.
/// </summary>
public static class ConvertCommand
{
    public const string Usage = """
        usage:
          clara convert INPUT... --out FILE [--dtype bf16|f32|f16] [--dry-run]
          clara convert INPUT... --to-dir DIR [--dtype bf16|f32|f16] [--dry-run]
          clara convert verify FILE
          clara convert diff A B [--tolerance T]
          clara convert --bench-synthetic [--bench-mb MB] [--bench-tensors N] [--bench-dir DIR]

        INPUT is a Hugging Face model directory, a PEFT adapter directory, a CLaRa release directory
        (adapters.pth + decoder_first_last_layers.pth + its config.json), a torch.save file (.pth/.bin) or a
        safetensors file; what it is is read from its contents. NAME=PATH names a single adapter.
          --config FILE      base config.json, when no input directory has it
          --clara FILE       clara.json to embed (special-token ids, compression settings)
          --lora-alpha A     lora_alpha of pickled adapters that come without any config
          --quiet            no progress bar
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var rest = args.Length > 0 && args[0] == "convert" ? args[1..] : args;
        bool stderrIsTerminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        try
        {
            if (rest.Length == 0 || rest[0] is "-h" or "--help")
            {
                stdout.WriteLine(Usage);
                return rest.Length == 0 ? 2 : 0;
            }
            return rest[0] switch
            {
                "verify" => VerifyCommand.Run(rest[1..], stdout),
                "diff" => DiffCommand.Run(rest[1..], stdout),
                "--bench-synthetic" => SyntheticBench.Run(rest[1..], stdout, stderr),
                _ => Convert(ConvertArguments.Parse(rest), stdout, new ProgressSink(stderr, stderrIsTerminal)),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"clara convert: {e.Message}");
            stderr.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (e is CheckpointValidationException or PickleSecurityException or PickleFormatException
                                      or SafetensorsFormatException or InvalidDataException or FileNotFoundException
                                      or DirectoryNotFoundException or NotSupportedException or ArgumentException or IOException
                                      or UnauthorizedAccessException)
        {
            stderr.WriteLine($"clara convert: error: {e.Message}");
            return 1;
        }
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
