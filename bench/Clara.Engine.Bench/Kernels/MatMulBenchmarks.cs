using BenchmarkDotNet.Attributes;
using Clara.Engine.Backends;
using Clara.Engine.Bench.Columns;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Kernels;

/// <summary>y[M, N] = x[M, K] · W[N, K]ᵀ at decode (M = 1, bound by the weight read) and prefill (M = 128, bound by FMAs).</summary>
public sealed record MatMulCase(string Name, int M, int N, int K, DType WeightType) : IHasWorkSize
{
    public WorkSize Work => new(Flops: 2.0 * M * N * K, Bytes: (double)N * K * WeightType.SizeOf() + 4.0 * M * (K + N));
    public override string ToString() => $"{Name} {M}x{N}x{K} {WeightType}";
}

public class MatMulBenchmarks
{
    private IBackend _backend = null!;
    private BenchTensors _tensors = null!;
    private Tensor _x = null!, _w = null!, _y = null!;

    [ParamsSource(nameof(Cases))]
    public MatMulCase Case { get; set; } = null!;

    public static IEnumerable<MatMulCase> Cases()
    {
        // Mistral-7B projections: q/o (4096×4096) and gate/up (14336×4096); the square one is the FMA ceiling.
        foreach (var dtype in new[] { DType.BF16, DType.F32 })
            foreach (int m in new[] { 1, 128 })
            {
                yield return new MatMulCase("q_proj", m, 4096, 4096, dtype);
                yield return new MatMulCase("up_proj", m, 14336, 4096, dtype);
            }
        yield return new MatMulCase("square", 2048, 2048, 2048, DType.F32);
    }

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchSettings.BackendFactory();
        _tensors = new BenchTensors(_backend);
        _x = _tensors.Random(DType.F32, 1f, Case.M, Case.K);
        _w = _tensors.Random(Case.WeightType, 0.02f, Case.N, Case.K);
        _y = _tensors.Zeros(DType.F32, Case.M, Case.N);
    }

    [Benchmark]
    public void MatMul()
    {
        _backend.Kernels.MatMul(_x, _w, _y);
        _backend.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tensors.Dispose();
        _backend.Dispose();
    }
}
