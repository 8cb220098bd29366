using System.CommandLine;
using Clara.CommandLine;
using Clara.Convert.Inputs;
using Clara.Engine.Tensors;

namespace Clara.Convert.Commands;

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
    public static DType ParseDType(string text) => text.ToLowerInvariant() switch
    {
        "bf16" or "bfloat16" => DType.BF16,
        "f32" or "fp32" or "float32" => DType.F32,
        "f16" or "fp16" or "float16" => DType.F16,
        "q8_0" or "q8" => DType.Q8_0,
        _ => throw new UsageException($"--dtype {text}: use bf16, f32, f16 or q8_0"),
    };
}

/// <summary>The inputs and options of a conversion, defined once; <see cref="Read"/> turns a parse into <see cref="ConvertArguments"/>.</summary>
internal sealed class ConvertOptions
{
    public Argument<string[]> Inputs { get; } = new("INPUT")
    {
        Arity = ArgumentArity.ZeroOrMore,
        Description = "an HF, PEFT or CLaRa(-release) directory, a torch.save file or a safetensors file; NAME=PATH names an adapter",
    };
    public Option<string> Out { get; } = Options.Text("--out", "FILE", "write the engine-native file");
    public Option<string> ToDir { get; } = Options.Text("--to-dir", "DIR", "write a CLaRa directory");
    public Option<string> DType { get; } = Options.Text("--dtype", "bf16|f32|f16|q8_0", "bf16",
        "the dtype of the stored matrices (q8_0: projections and lm_head int8 in blocks of 32 with F16 scales, the embedding F16)");
    public Option<bool> DryRun { get; } = Options.Flag("--dry-run", "show the plan, write nothing");
    public Option<string> Config { get; } = Options.Text("--config", "FILE", "base config.json, when no input directory has it");
    public Option<string> Clara { get; } = Options.Text("--clara", "FILE", "clara.json to embed (special-token ids, compression settings)");
    public Option<double?> LoraAlpha { get; } = Options.OptionalDouble("--lora-alpha", "A", "lora_alpha of pickled adapters that come without any config");
    public Option<bool> Quiet { get; } = Options.Flag("--quiet", "no progress bar");

    public Symbol[] All => [Inputs, Out, ToDir, DType, DryRun, Config, Clara, LoraAlpha, Quiet];

    /// <summary>Rules that hold for a conversion (not for the synthetic benchmark, <paramref name="exempt"/>).</summary>
    public void AddRulesTo(Command command, Option<bool> exempt)
    {
        DType.Validators.Add(r =>
        {
            try { ConvertArguments.ParseDType(r.GetValueOrDefault<string>()); }
            catch (UsageException e) { r.AddError(e.Message); }
        });
        LoraAlpha.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double?>() is <= 0) r.AddError($"--lora-alpha {r.GetValueOrDefault<double?>()}: not a positive number");
        });
        command.Validators.Add(r =>
        {
            if (r.GetResult(exempt) is { Implicit: false }) return;
            if ((r.GetValue(Inputs) ?? []).Length == 0) r.AddError("no inputs given");
            if ((r.GetResult(Out) is null) == (r.GetResult(ToDir) is null)) r.AddError("give exactly one of --out FILE and --to-dir DIR");
        });
    }

    public ConvertArguments Read(ParseResult p) => new(
        p.GetValue(Inputs)!.Select(InputSpec.Parse).ToList(),
        p.GetValue(Out),
        p.GetValue(ToDir),
        ConvertArguments.ParseDType(p.GetValue(DType)!),
        p.GetValue(DryRun),
        p.GetValue(Config),
        p.GetValue(Clara),
        p.GetValue(LoraAlpha),
        p.GetValue(Quiet));
}
