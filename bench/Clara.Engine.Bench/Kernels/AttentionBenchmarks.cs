using BenchmarkDotNet.Attributes;
using Clara.Engine.Backends;
using Clara.Engine.Bench.Columns;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Kernels;

/// <summary>Causal GQA attention of <see cref="QueryLength"/> new queries per sequence after <see cref="Start"/> cached positions.</summary>
public sealed record AttentionCase(string Name, int Batch, int QueryLength, int Start, int Heads, int KvHeads, int HeadDim) : IHasWorkSize
{
    public AttentionLayout Layout => new(Batch, QueryLength, Start, Heads, KvHeads, HeadDim, 1f / MathF.Sqrt(HeadDim));

    /// <summary>Query–key pairs a causal pass visits: Σ over queries of (start + t + 1).</summary>
    public double Pairs => Batch * (QueryLength * (double)Start + QueryLength * (QueryLength + 1) / 2.0);

    // QKᵀ and PV each cost 2·d flops per pair and head; the caches are read at least once per KV head.
    public WorkSize Work => new(
        Flops: 4.0 * HeadDim * Heads * Pairs,
        Bytes: 4.0 * (2.0 * Batch * (Start + QueryLength) * KvHeads * HeadDim + 2.0 * Batch * QueryLength * Heads * HeadDim));

    public override string ToString() => $"{Name} b{Batch} q{QueryLength} @{Start} {Heads}/{KvHeads}x{HeadDim}";
}

public class AttentionBenchmarks
{
    private IBackend _backend = null!;
    private BenchTensors _tensors = null!;
    private Tensor _q = null!, _k = null!, _v = null!, _mask = null!, _o = null!;

    [ParamsSource(nameof(Cases))]
    public AttentionCase Case { get; set; } = null!;

    public static IEnumerable<AttentionCase> Cases()
    {
        // Mistral-7B heads: compression prefill of a 275-token row, and decode against 1024 / 512 cached positions.
        yield return new AttentionCase("prefill", 1, 275, 0, 32, 8, 128);
        yield return new AttentionCase("decode", 1, 1, 1024, 32, 8, 128);
        yield return new AttentionCase("decode", 16, 1, 512, 32, 8, 128);
    }

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchSettings.BackendFactory();
        _tensors = new BenchTensors(_backend);
        var c = Case;
        int capacity = c.Start + c.QueryLength;
        _q = _tensors.Random(DType.F32, 1f, c.Batch * c.QueryLength, c.Heads * c.HeadDim);
        _k = _tensors.Random(DType.F32, 1f, c.Batch, capacity, c.KvHeads * c.HeadDim);
        _v = _tensors.Random(DType.F32, 1f, c.Batch, capacity, c.KvHeads * c.HeadDim);
        _mask = _tensors.Ints(Enumerable.Repeat(1, c.Batch * capacity).ToArray(), c.Batch, capacity);
        _o = _tensors.Zeros(DType.F32, c.Batch * c.QueryLength, c.Heads * c.HeadDim);
    }

    [Benchmark]
    public void Attention()
    {
        _backend.Kernels.Attention(_q, _k, _v, _mask, Case.Layout, _o);
        _backend.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tensors.Dispose();
        _backend.Dispose();
    }
}
