using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Training;

namespace Clara.Cli;

/// <summary>A training stage's name (scp, instruct, e2e, lm, rank, scp-rank), as an option or as an argument.</summary>
internal static class StageOption
{
    public static Option<TrainingStage> Create(string name) =>
        new(name) { HelpName = "e2e|scp|instruct|lm|rank|scp-rank", Description = "the training stage", Required = true, CustomParser = Parse };

    public static Argument<TrainingStage> CreateArgument() =>
        new("STAGE") { HelpName = "scp|instruct|e2e|lm|rank|scp-rank", Description = "the training stage", CustomParser = Parse };

    private static TrainingStage Parse(System.CommandLine.Parsing.ArgumentResult r)
    {
        try
        {
            return TrainingStages.Parse(r.Tokens.Count > 0 ? r.Tokens[^1].Value : "");
        }
        catch (FormatException e)
        {
            r.AddError(e.Message);
            return default;
        }
    }
}

/// <summary>
/// clara grad (spec §9): the loss of one batch (the data file's lines) and the gradient of every trainable tensor, so
/// any stage can be compared with another implementation's autograd.
/// </summary>
internal sealed class GradCommand : ICommand
{
    private readonly Option<string> _model = ModelOption.Create();
    private readonly Option<TrainingStage> _stage = StageOption.Create("--stage");
    private readonly Option<string> _data = Options.RequiredText("--data", "FILE.jsonl", "the batch: one pre-tokenized example a line");
    private readonly Option<string> _out = Options.RequiredText("--out", "FILE.safetensors", "the output file");
    private readonly Option<string[]?> _adapters = Options.Names("--adapters", "a,b", "the adapters to differentiate (default: the stage's)");
    private readonly BackendOptions _backend = new();

    public Command Create() =>
        new Command("grad", "loss F32 [1] and every trainable tensor's gradient (named <adapter>/<PEFT name>, HF names for lm) over one batch")
            .With([_model, _stage, _data, _out, _adapters, .. _backend.All]).With(Run);

    private int Run(ParseResult p, TextWriter stdout, TextWriter stderr)
    {
        var modelPath = p.GetValue(_model)!;
        var stage = p.GetValue(_stage);
        var dataPath = p.GetValue(_data)!;
        var output = p.GetValue(_out)!;
        var adapters = p.GivenValue(_adapters);
        using var backend = _backend.Create(p);

        var batch = PretokenizedExamples.Read(dataPath, stage);
        using var model = TrainableModel.Load(modelPath, stage, backend);
        model.CheckAdapters(adapters);
        using var objective = model.CreateObjective(stage, new TrainingOptions { TrainableAdapters = adapters });
        for (int i = 0; i < batch.Count; i++)
        {
            try { batch[i].Validate(objective.Rules); }
            catch (ExampleFieldException e) { throw new InvalidDataException($"{dataPath}: example {i + 1}: {e.Message}", e); }
        }
        objective.Parameters.ZeroGradients();
        float loss = objective.AccumulateGradients(batch);
        var tensors = new List<TensorToWrite> { TensorToWrite.FromFloat32("loss", new Engine.Tensors.Shape(1), new[] { loss }) };
        tensors.AddRange(objective.Parameters.Parameters.Select(p => TensorToWrite.FromFloat32(p.Name, p.Shape, p.Gradient.ToFloatArray())));
        SafetensorsWriter.Write(output, tensors);
        stdout.WriteLine($"{stage.Name()}: loss {loss:G9} over {batch.Count} examples; wrote {objective.Parameters.Parameters.Count} gradients to {output}");
        return 0;
    }
}
