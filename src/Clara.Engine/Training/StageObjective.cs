using Clara.Engine.Graph;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Training;

/// <summary>
/// What every stage shares: the parameter store, one executor whose arena is reused batch after batch, and the run of
/// one batch as a single graph (the stage's forward to a scalar loss, then <see cref="Autodiff.Backward"/>).
/// </summary>
internal abstract class StageObjective : ITrainingObjective
{
    private readonly GraphExecutor _executor;

    protected StageObjective(TrainingStage stage, DecoderModel decoder, ParameterStore parameters, ExampleRules rules, IReadOnlyList<LoraAdapter> trained)
    {
        Stage = stage;
        Decoder = decoder;
        Parameters = parameters;
        Rules = rules;
        TrainedAdapters = trained;
        _executor = new GraphExecutor(decoder.Backend);
    }

    public TrainingStage Stage { get; }
    public ParameterStore Parameters { get; }
    public ExampleRules Rules { get; }
    protected DecoderModel Decoder { get; }
    protected IReadOnlyList<LoraAdapter> TrainedAdapters { get; }

    /// <summary>Recompute each decoder block in backward instead of keeping its activations (<see cref="TrainingOptions.CheckpointActivations"/>).</summary>
    public bool CheckpointActivations { get; init; }

    public float AccumulateGradients(IReadOnlyList<TrainingExample> batch) => Run(batch, backward: true);

    public float Evaluate(IReadOnlyList<TrainingExample> batch) => Run(batch, backward: false);

    /// <summary>Appends the stage's forward for <paramref name="batch"/> to <paramref name="g"/> and returns the scalar loss.</summary>
    protected abstract Value BuildLoss(ComputeGraph g, GraphInputs inputs, IReadOnlyList<TrainingExample> batch);

    private float Run(IReadOnlyList<TrainingExample> batch, bool backward)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("a batch needs at least one example");
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch[i].Stage != Stage)
                throw new ArgumentException($"example {i} is a {batch[i].Stage.Name()} example; this objective trains stage {Stage.Name()}");
            try { batch[i].Validate(Rules); }
            catch (ExampleFieldException e) { throw new ExampleFieldException(e.Field, $"example {i}: {e.Message}"); }
        }
        var g = new ComputeGraph();
        using var inputs = new GraphInputs(g);
        var loss = BuildLoss(g, inputs, batch);
        g.MarkOutput(loss);
        if (backward) Autodiff.Backward(g, loss, new BackwardOptions { RecomputeSegments = CheckpointActivations });
        var values = _executor.Run(g, inputs.Upload(Decoder.Backend));
        return values[loss].ToFloatArray()[0];
    }

    public virtual void CopyToModel()
    {
        var c = Decoder.Config;
        foreach (var adapter in TrainedAdapters)
            for (int i = 0; i < c.Layers; i++)
                foreach (var slot in LinearSlots.All)
                    if (adapter.TryGet(i, slot, out _, out _))
                        adapter.Replace(i, slot, Copy(TrainableWeights.Lora(adapter.Name, i, slot, 'A')), Copy(TrainableWeights.Lora(adapter.Name, i, slot, 'B')));
    }

    private Tensor Copy(string name)
    {
        var p = Parameters[name];
        return Tensor.FromFloats(Decoder.Backend, p.Value.ToFloatArray(), [.. p.Shape.Dims]);
    }

    public virtual void Export(string directory)
    {
        foreach (var adapter in TrainedAdapters)
        {
            var folder = Path.Combine(directory, "adapters", adapter.Name);
            Directory.CreateDirectory(folder);
            string prefix = adapter.Name + "/";
            var tensors = Parameters.Parameters.Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal))
                .Select(p => TensorToWrite.FromFloat32(p.Name[prefix.Length..], p.Shape, p.Value.ToFloatArray())).ToList();
            SafetensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
            File.WriteAllText(Path.Combine(folder, "adapter_config.json"), PeftAdapterConfig.ToJson(adapter.Settings.ToPeftValues()));
        }
    }

    public virtual void Dispose()
    {
        _executor.Dispose();
        Parameters.Dispose();
    }
}
