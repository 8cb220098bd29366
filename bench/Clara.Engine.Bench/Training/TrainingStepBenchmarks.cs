using BenchmarkDotNet.Attributes;
using Clara.Engine.Backends;
using Clara.Engine.Bench.Columns;
using Clara.Engine.Bench.Models;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Training;

/// <summary>
/// One LoRA training step (forward, backward, clip + AdamW) of a batch of 4 × 512 tokens, F32 base weights frozen,
/// rank-16 adapter on every projection (<see cref="TrainingStepWorkload"/>). A step takes seconds on a CPU, so the job
/// is short: one warm-up step and a few measured ones.
/// </summary>
[InvocationCount(1)]
[WarmupCount(1)]
[IterationCount(3)]
public class TrainingStepBenchmarks
{
    private const int Batch = 4, Length = 512, LoraRank = 16;
    private IBackend _backend = null!;
    private TrainingStepWorkload _work = null!;

    [ParamsSource(nameof(ModelCases))]
    public ModelCase Case { get; set; } = null!;

    public IEnumerable<ModelCase> ModelCases() =>
        from m in ModelCase.Models.Where(m => m != "mistral-7b") // a 7B training step in fp32 needs ~60 GB
        select new ModelCase(m, DType.F32, $"LoRA r{LoraRank}, {Batch}x{Length}", new WorkSize(Tokens: Batch * Length));

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchSettings.BackendFactory();
        _work = new TrainingStepWorkload(Case.Model, Batch, Length, LoraRank, _backend);
    }

    [Benchmark]
    public void TrainingStep() => _work.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _work?.Dispose();
        _backend?.Dispose();
    }
}
