using Clara.Engine.Models;
using Clara.Engine.Pipeline;

namespace Clara.Engine.Training;

/// <summary>Creates the stage objectives the trainer and <c>clara grad</c> run.</summary>
public static class TrainingObjectives
{
    /// <summary>The adapters a stage trains unless told otherwise (spec §6).</summary>
    public static IReadOnlyList<string> DefaultAdapters(TrainingStage stage) => stage switch
    {
        TrainingStage.Scp => [ClaraModel.EncoderAdapter, ClaraModel.DecoderAdapter],
        TrainingStage.Instruct => [ClaraModel.DecoderAdapter],
        TrainingStage.E2e => [ClaraModel.QueryAdapter, ClaraModel.DecoderAdapter],
        TrainingStage.Rank => [ClaraModel.QueryAdapter],
        TrainingStage.ScpRank => [ClaraModel.EncoderAdapter, ClaraModel.QueryAdapter, ClaraModel.DecoderAdapter],
        _ => [],
    };

    /// <summary>
    /// A stage over a CLaRa model; its parameter store starts from the model's current adapter weights. Stage lm trains
    /// the base weights of the model's decoder (as <see cref="CreateLm"/>).
    /// </summary>
    public static ITrainingObjective Create(ClaraModel model, TrainingStage stage, TrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new TrainingOptions();
        if (stage == TrainingStage.Lm) return CreateLm(model.Decoder, options);
        if (!float.IsFinite(options.AlignmentWeight) || options.AlignmentWeight < 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"the alignment weight λ must be finite and ≥ 0, got {options.AlignmentWeight}");
        if (!float.IsFinite(options.RankWeight) || options.RankWeight < 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"the rank loss weight μ must be finite and ≥ 0, got {options.RankWeight}");
        float temperature = options.Temperature ?? model.Config.Temperature;
        if (!float.IsFinite(temperature) || temperature < 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"the top-k temperature must be finite and ≥ 0, got {temperature}");
        var trained = (options.TrainableAdapters ?? DefaultAdapters(stage)).Distinct().ToList();
        if (trained.Count == 0) throw new ArgumentException($"stage {stage.Name()} was given no adapter to train");
        var adapters = trained.Select(name => model.Decoder.GetAdapter(name)!).ToList();
        if (stage == TrainingStage.E2e && trained.Contains(ClaraModel.EncoderAdapter))
            throw new NotSupportedException($"stage e2e keeps the compressor frozen (spec §6.3): {ClaraModel.EncoderAdapter} cannot train in it");
        if (stage == TrainingStage.Rank && trained.FirstOrDefault(a => a is not (ClaraModel.QueryAdapter or ClaraModel.EncoderAdapter)) is { } unreached)
            throw new NotSupportedException($"stage rank cannot train {unreached}: no generator runs in it (it trains {ClaraModel.QueryAdapter} and, if asked, {ClaraModel.EncoderAdapter})");
        if (options.MemoryCacheMegabytes < 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"the memory cache must be ≥ 0 MB, got {options.MemoryCacheMegabytes}");
        long cacheBytes = (long)options.MemoryCacheMegabytes << 20;
        var store = TrainableWeights.CreateStore(model.Decoder.Backend,
            adapters.SelectMany(a => TrainableWeights.Adapter(a, model.Decoder.Config)).ToList());
        return stage switch
        {
            TrainingStage.Scp => new ScpObjective(model, store, trained, options.AlignmentWeight) { CheckpointActivations = options.CheckpointActivations },
            TrainingStage.Instruct => new InstructObjective(model, store, trained, cacheBytes) { CheckpointActivations = options.CheckpointActivations },
            TrainingStage.E2e => new E2eObjective(model, store, trained, temperature, cacheBytes) { CheckpointActivations = options.CheckpointActivations },
            TrainingStage.Rank => new RankObjective(model, store, trained, temperature, cacheBytes) { CheckpointActivations = options.CheckpointActivations },
            TrainingStage.ScpRank => new ScpRankObjective(model, store, trained, options.AlignmentWeight, options.RankWeight, temperature)
                { CheckpointActivations = options.CheckpointActivations },
            _ => throw new ArgumentOutOfRangeException(nameof(stage)),
        };
    }

    /// <summary>Stage lm over a plain decoder: every base weight trains (F32 weights only).</summary>
    public static ITrainingObjective CreateLm(DecoderModel model, TrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (options?.TrainableAdapters is { Count: > 0 })
            throw new NotSupportedException("stage lm trains the base weights; it takes no adapters");
        return LmObjective.Create(model, options?.CheckpointActivations ?? false);
    }
}
