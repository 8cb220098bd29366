using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Cli;

/// <summary>clara logits: fp32 logits of every position, the way anyone can check our numbers against another implementation.</summary>
internal sealed class LogitsCommand : ICommand
{
    private readonly Option<string> _model = ModelOption.Create("PATH");
    private readonly Option<int[]?> _tokens = Options.TokenIds("--tokens", "the token ids (1,2,3)");
    private readonly Option<string> _adapter = Options.Text("--adapter", "NAME", "run with this LoRA adapter");
    private readonly Option<string> _out = Options.RequiredText("--out", "FILE.safetensors", "the output file");
    private readonly BackendOptions _backend = new();

    public Command Create()
    {
        _tokens.Required = true;
        return new Command("logits", "write the fp32 logits [T, vocab] of a token sequence to a safetensors file (tensor 'logits')")
            .With([_model, _tokens, _adapter, _out, .. _backend.All]).With(Run);
    }

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var tokens = p.GetValue(_tokens)!;
        var adapter = p.GetValue(_adapter);
        var output = p.GetValue(_out)!;
        using var backend = _backend.Create(p);
        OutputFile.Prepare(output, stderr);

        using var model = DecoderModel.Load(modelPath, backend);
        int vocab = model.Config.VocabSize;
        if (tokens.FirstOrDefault(id => (uint)id >= (uint)vocab, -1) is var outside and not -1)
            throw new InvalidInputException($"--tokens: token id {outside} is outside the vocabulary of {vocab}");
        if (tokens.Length > model.Config.MaxPositionEmbeddings)
            throw new InvalidInputException($"{tokens.Length} tokens exceed the model's context of {model.Config.MaxPositionEmbeddings}");
        var logits = model.ComputeLogits(tokens, adapter);
        SafetensorsWriter.Write(output, [TensorToWrite.FromFloat32("logits", new Shape(tokens.Length, model.Config.VocabSize), logits)],
            new Dictionary<string, string> { ["model"] = modelPath, ["adapter"] = adapter ?? "", ["tokens"] = string.Join(",", tokens) });
        stdout.WriteLine($"wrote logits [{tokens.Length}, {model.Config.VocabSize}] to {output}");
        return 0;
    }
}
