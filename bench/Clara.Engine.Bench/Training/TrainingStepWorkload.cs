using Clara.Engine.Backends;
using Clara.Engine.Models;
using Clara.Engine.Tensors;
using Clara.Engine.Training;
using Clara.Engine.Training.Optimization;

namespace Clara.Engine.Bench.Training;

/// <summary>
/// One LoRA training step on a random-weight decoder, as <see cref="Trainer"/> runs it: zero the gradients, forward and
/// backward of one batch of <c>batch × length</c> token ids (next-token CE over every position but the first of each
/// row), then clip + AdamW over the adapter. Base weights F32 and frozen; the adapter (rank r, alpha 2r, every
/// projection of every block: q, k, v, o, gate, up, down) trains. With activation checkpointing each block is
/// recomputed in backward (<see cref="TrainingOptions.CheckpointActivations"/>).
/// </summary>
public sealed class TrainingStepWorkload : IDisposable
{
    private readonly DecoderModel _decoder;
    private readonly LoraLmObjective _objective;
    private readonly AdamWOptimizer _optimizer;
    private readonly LmExample[] _batch;

    public TrainingStepWorkload(string modelName, int batch, int length, int loraRank, IBackend backend, int seed = 1,
        bool checkpointActivations = false)
    {
        var config = RandomWeights.NamedConfig(modelName);
        var weights = RandomWeights.Create(config, backend, seed, DType.F32);
        LoraAdapter adapter;
        try
        {
            adapter = RandomWeights.CreateAdapter("bench_adapter", config, backend, seed, loraRank, DType.F32);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
        _decoder = DecoderModel.FromWeights("random " + modelName, weights, [adapter], backend);
        _objective = new LoraLmObjective(_decoder, adapter) { CheckpointActivations = checkpointActivations };
        _optimizer = new AdamWOptimizer(_objective.Parameters, new OptimizerSettings { LearningRate = 1e-4, TotalSteps = 1_000_000 });
        var random = new Random(seed);
        _batch = Enumerable.Range(0, batch)
            .Select(_ => new LmExample(Enumerable.Range(0, length).Select(_ => random.Next(3, config.VocabSize)).ToArray()))
            .ToArray();
        Batch = batch;
        Length = length;
        Config = config;
    }

    public ModelConfig Config { get; }
    public int Batch { get; }
    public int Length { get; }

    /// <summary>Token ids one step reads (what the trainer's tokens/s counts).</summary>
    public int Tokens => Batch * Length;

    public long TrainableParameters => _objective.Parameters.ElementCount;

    /// <summary>The loss of the last step (a sanity check that it ran; it falls step after step on the fixed batch).</summary>
    public float LastLoss { get; private set; }

    public void Run()
    {
        _objective.Parameters.ZeroGradients();
        LastLoss = _objective.AccumulateGradients(_batch);
        _optimizer.Step();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _objective.Dispose();
        _decoder.Dispose();
    }
}
