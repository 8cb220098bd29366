using BenchmarkDotNet.Attributes;
using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Kernels;

public class RmsNormBenchmarks
{
    private IBackend _backend = null!;
    private BenchTensors _tensors = null!;
    private Tensor _x = null!, _w = null!, _y = null!;

    [ParamsSource(nameof(Cases))]
    public RowKernelCase Case { get; set; } = null!;

    public static IEnumerable<RowKernelCase> Cases() => [new(1, 4096, 1), new(128, 4096, 1), new(2200, 768, 1)];

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchSettings.BackendFactory();
        _tensors = new BenchTensors(_backend);
        _x = _tensors.Random(DType.F32, 1f, Case.Rows, Case.Width);
        _w = _tensors.Random(DType.BF16, 1f, Case.Width);
        _y = _tensors.Zeros(DType.F32, Case.Rows, Case.Width);
    }

    [Benchmark]
    public void RmsNorm()
    {
        _backend.Kernels.RmsNorm(_x, _w, 1e-5f, _y);
        _backend.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tensors.Dispose();
        _backend.Dispose();
    }
}
