using Clara.Convert.Inputs;
using Clara.Engine.Tensors;

namespace Clara.Convert.Commands;

/// <summary>A command-line mistake: printed with the usage text, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The options of <c>clara convert INPUT... (--out FILE | --to-dir DIR)</c>.</summary>
public sealed record ConvertArguments(
    IReadOnlyList<InputSpec> Inputs,
    string? OutFile,
    string? OutDirectory,
    DType DType,
    bool DryRun,
    string? ConfigPath,
    string? ClaraPath,
    double? LoraAlpha,
    bool Quiet)
{
    public static ConvertArguments Parse(IReadOnlyList<string> args)
    {
        var inputs = new List<InputSpec>();
        string? outFile = null, outDir = null, config = null, clara = null;
        DType dtype = DType.BF16;
        bool dryRun = false, quiet = false;
        double? loraAlpha = null;

        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{arg} needs a value");
            switch (arg)
            {
                case "--out": outFile = Value(); break;
                case "--to-dir": outDir = Value(); break;
                case "--dtype": dtype = ParseDType(Value()); break;
                case "--dry-run": dryRun = true; break;
                case "--config": config = Value(); break;
                case "--clara": clara = Value(); break;
                case "--quiet": quiet = true; break;
                case "--lora-alpha":
                    string text = Value();
                    loraAlpha = double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double alpha) && alpha > 0
                        ? alpha
                        : throw new UsageException($"--lora-alpha {text}: not a positive number");
                    break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal)) throw new UsageException($"unknown option {arg}");
                    inputs.Add(InputSpec.Parse(arg));
                    break;
            }
        }
        if (inputs.Count == 0) throw new UsageException("no inputs given");
        if ((outFile is null) == (outDir is null)) throw new UsageException("give exactly one of --out FILE and --to-dir DIR");
        return new ConvertArguments(inputs, outFile, outDir, dtype, dryRun, config, clara, loraAlpha, quiet);
    }

    public static DType ParseDType(string text) => text.ToLowerInvariant() switch
    {
        "bf16" or "bfloat16" => DType.BF16,
        "f32" or "fp32" or "float32" => DType.F32,
        "f16" or "fp16" or "float16" => DType.F16,
        _ => throw new UsageException($"--dtype {text}: use bf16, f32 or f16"),
    };
}
