using BenchmarkDotNet.Attributes;
using Clara.Engine.Backends;
using Clara.Engine.Bench.Columns;
using Clara.Engine.Pipeline;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Kernels;

/// <summary>Cosine scores of one query against <see cref="Candidates"/> flattened documents of n_mem·hidden values.</summary>
public sealed record RerankCase(int Candidates, int Dimension) : IHasWorkSize
{
    public WorkSize Work => new(Flops: 4.0 * Candidates * Dimension, Bytes: 4.0 * Candidates * Dimension, Documents: Candidates);
    public override string ToString() => $"{Candidates} x {Dimension}";
}

public class CosineRerankBenchmarks
{
    private IBackend _backend = null!;
    private BenchTensors _tensors = null!;
    private Tensor _query = null!, _candidates = null!, _scores = null!;

    [ParamsSource(nameof(Cases))]
    public RerankCase Case { get; set; } = null!;

    // 16 memory vectors of Mistral-7B's 4096 (256-token documents at rate 16).
    public static IEnumerable<RerankCase> Cases() => [new(20, 16 * 4096), new(100, 16 * 4096), new(1000, 16 * 4096)];

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchSettings.BackendFactory();
        _tensors = new BenchTensors(_backend);
        _query = _tensors.Random(DType.F32, 1f, Case.Dimension);
        _candidates = _tensors.Random(DType.F32, 1f, Case.Candidates, Case.Dimension);
        _scores = _tensors.Zeros(DType.F32, Case.Candidates);
    }

    [Benchmark]
    public void CosineScores()
    {
        _backend.Kernels.CosineScores(_query, _candidates, _scores);
        _backend.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tensors.Dispose();
        _backend.Dispose();
    }
}

/// <summary>Spec §4's hard top-k over host scores (what <see cref="ClaraModel.SelectTopK"/> runs).</summary>
public sealed record TopKCase(int Candidates, int K) : IHasWorkSize
{
    public WorkSize Work => new(Documents: Candidates);
    public override string ToString() => $"top {K} of {Candidates}";
}

public class TopKBenchmarks
{
    private float[] _scores = [];

    [ParamsSource(nameof(Cases))]
    public TopKCase Case { get; set; } = null!;

    public static IEnumerable<TopKCase> Cases() => [new(20, 5), new(1000, 5), new(100_000, 5)];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _scores = Enumerable.Range(0, Case.Candidates).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Benchmark]
    public int[] SelectTopK() => TopKSelection.Select(_scores, Case.K, 0.02f);
}
