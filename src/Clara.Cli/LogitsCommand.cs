using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Cli;

/// <summary>clara logits: fp32 logits of every position, the way anyone can check our numbers against another implementation.</summary>
internal sealed class LogitsCommand : ICommand
{
    public string Name => "logits";
    public string Usage => "logits --model PATH --tokens 1,2,3 [--adapter NAME] --out FILE.safetensors [--device cpu|cuda[:N]] [--threads N]";
    public string Summary => "write the fp32 logits [T, vocab] of a token sequence to a safetensors file (tensor 'logits')";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CommandArguments(args, new HashSet<string>());
        var modelPath = a.Required("model");
        var tokens = a.OptionalIds("tokens") ?? throw new UsageException("missing --tokens");
        var adapter = a.Optional("adapter");
        var output = a.Required("out");
        using var backend = a.Backend();
        a.RejectUnknown();
        if (a.Positional.Count > 0) throw new UsageException($"unexpected argument '{a.Positional[0]}'");
        OutputFile.Prepare(output, stderr);

        using var model = DecoderModel.Load(modelPath, backend);
        if (tokens.Length > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"{tokens.Length} tokens exceed the model's context of {model.Config.MaxPositionEmbeddings}");
        var logits = model.ComputeLogits(tokens, adapter);
        SafetensorsWriter.Write(output, [TensorToWrite.FromFloat32("logits", new Shape(tokens.Length, model.Config.VocabSize), logits)],
            new Dictionary<string, string> { ["model"] = modelPath, ["adapter"] = adapter ?? "", ["tokens"] = string.Join(",", tokens) });
        stdout.WriteLine($"wrote logits [{tokens.Length}, {model.Config.VocabSize}] to {output}");
        return 0;
    }
}
