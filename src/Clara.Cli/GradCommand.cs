using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Training;

namespace Clara.Cli;

/// <summary>
/// clara grad (spec §9): the loss of one batch (the data file's lines) and the gradient of every trainable tensor, so
/// any stage can be compared with another implementation's autograd.
/// </summary>
internal sealed class GradCommand : ICommand
{
    public string Name => "grad";
    public string Usage => "grad --model DIR --stage e2e|scp|instruct|lm --data FILE.jsonl --out FILE.safetensors [--device cpu|cuda[:N]] [--threads N]";
    public string Summary => "loss F32 [1] and every trainable tensor's gradient (named <adapter>/<PEFT name>, HF names for lm) over one batch";

    public int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var a = new CommandArguments(args, new HashSet<string>());
        var modelPath = a.Required("model");
        var stageName = a.Required("stage");
        var dataPath = a.Required("data");
        var output = a.Required("out");
        using var backend = a.Backend();
        a.RejectUnknown();
        TrainingStage stage;
        try { stage = TrainingStages.Parse(stageName); }
        catch (FormatException e) { throw new UsageException(e.Message); }

        var batch = PretokenizedExamples.Read(dataPath, stage);
        using var objective = Open(modelPath, stage, backend, out var owned);
        using (owned)
        {
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
        }
        return 0;
    }

    /// <summary>Stage lm runs on any decoder directory; the CLaRa stages need a CLaRa directory.</summary>
    private static ITrainingObjective Open(string path, TrainingStage stage, Engine.Backends.IBackend backend, out IDisposable model)
    {
        if (stage == TrainingStage.Lm)
        {
            var decoder = DecoderModel.Load(path, backend);
            model = decoder;
            try { return TrainingObjectives.CreateLm(decoder); }
            catch { decoder.Dispose(); throw; }
        }
        var clara = ClaraModel.Load(path, backend);
        model = clara;
        try { return TrainingObjectives.Create(clara, stage); }
        catch { clara.Dispose(); throw; }
    }
}
