using BenchmarkDotNet.Attributes;
using Clara.Engine.Backends;
using Clara.Engine.Bench.Columns;
using Clara.Engine.Bench.Workloads;

namespace Clara.Engine.Bench.Models;

/// <summary>A random model with a LoRA adapter on the backend under test, made once per case.</summary>
public abstract class ModelBenchmarkBase
{
    public const int LoraRank = 16;

    protected IBackend Backend { get; private set; } = null!;
    protected BenchModel Model { get; private set; } = null!;

    [ParamsSource(nameof(ModelCases))]
    public ModelCase Case { get; set; } = null!;

    public abstract IEnumerable<ModelCase> ModelCases();

    protected void CreateModel()
    {
        Backend = BenchSettings.BackendFactory();
        Model = BenchModel.Create(Case.Model, Case.WeightType, LoraRank, Backend);
    }

    [GlobalCleanup]
    public virtual void Cleanup()
    {
        Model?.Dispose();
        Backend?.Dispose();
    }
}

/// <summary>A 128-token prompt through a fresh cache, logits for the last position.</summary>
public class PrefillBenchmarks : ModelBenchmarkBase
{
    private const int Tokens = 128;
    private PrefillWorkload _work = null!;

    public override IEnumerable<ModelCase> ModelCases() =>
        from m in ModelCase.Models from t in ModelCase.WeightTypes select new ModelCase(m, t, $"{Tokens} tokens", new WorkSize(Tokens: Tokens));

    [GlobalSetup]
    public void Setup()
    {
        CreateModel();
        _work = new PrefillWorkload(Model, Tokens);
    }

    [Benchmark]
    public void Prefill() => _work.Run();
}

/// <summary>
/// KV-cached greedy decoding of 16 tokens per sequence after a 128-token prompt, batch 1 and 16. Each iteration
/// prefills afresh (not timed), so one invocation per iteration.
/// </summary>
[InvocationCount(1)]
public class DecodeBenchmarks : ModelBenchmarkBase
{
    private const int Prompt = 128, Steps = 16;
    private DecodeWorkload _work = null!;

    public override IEnumerable<ModelCase> ModelCases() =>
        from m in ModelCase.Models
        from t in ModelCase.WeightTypes
        from b in new[] { 1, 16 }
        select new ModelCase(m, t, $"batch {b}", new WorkSize(Tokens: b * Steps));

    [GlobalSetup]
    public void Setup()
    {
        CreateModel();
        _work = new DecodeWorkload(Model, (int)(Case.Work.Tokens / Steps), Prompt, Steps);
    }

    [IterationSetup]
    public void Prefill() => _work.Prepare();

    [Benchmark]
    public void Decode() => _work.Run();

    public override void Cleanup()
    {
        _work?.Dispose();
        base.Cleanup();
    }
}

/// <summary>Spec §2 compression of 8 documents of 256 tokens: 8 encoder rows of 275 positions in one forward.</summary>
public class CompressionBenchmarks : ModelBenchmarkBase
{
    private const int Documents = 8;
    private CompressionWorkload _work = null!;

    public override IEnumerable<ModelCase> ModelCases() =>
        from m in ModelCase.Models
        from t in ModelCase.WeightTypes
        select new ModelCase(m, t, $"{Documents}x{BenchClaraConfig.DefaultDocumentTokens}",
            new WorkSize(Tokens: Documents * (BenchClaraConfig.DefaultDocumentTokens + 3 + BenchClaraConfig.DefaultDocumentTokens / BenchClaraConfig.CompressionRate), Documents: Documents));

    [GlobalSetup]
    public void Setup()
    {
        CreateModel();
        _work = new CompressionWorkload(Model, Documents);
    }

    [Benchmark]
    public void Compress() => _work.Run();
}

/// <summary>End-to-end <c>Ask</c> latency over 20 compressed candidates, top 5, up to 32 greedy tokens.</summary>
public class AskBenchmarks
{
    private IBackend _backend = null!;
    private AskWorkload _work = null!;

    [ParamsSource(nameof(ModelCases))]
    public ModelCase Case { get; set; } = null!;

    public IEnumerable<ModelCase> ModelCases() =>
        from m in ModelCase.Models.Where(m => m != "mistral-7b") // the 7B directory would be 14 GB on disk
        from t in ModelCase.WeightTypes
        select new ModelCase(m, t, "20 docs, top 5, 32 tokens", new WorkSize());

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchSettings.BackendFactory();
        _work = new AskWorkload(Case.Model, Case.WeightType, _backend);
    }

    [Benchmark]
    public void Ask() => _work.Run();

    [GlobalCleanup]
    public void Cleanup()
    {
        _work?.Dispose();
        _backend?.Dispose();
    }
}
