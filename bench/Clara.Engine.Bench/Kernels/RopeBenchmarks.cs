using BenchmarkDotNet.Attributes;
using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Kernels;

public class RopeBenchmarks
{
    private const int HeadDim = 128;
    private IBackend _backend = null!;
    private BenchTensors _tensors = null!;
    private Tensor _x = null!, _positions = null!, _y = null!;

    [ParamsSource(nameof(Cases))]
    public RowKernelCase Case { get; set; } = null!;

    public static IEnumerable<RowKernelCase> Cases() => [new(1, 4096, 1), new(128, 4096, 1), new(275, 4096, 1)];

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchSettings.BackendFactory();
        _tensors = new BenchTensors(_backend);
        _x = _tensors.Random(DType.F32, 1f, Case.Rows, Case.Width);
        _positions = _tensors.Ints(Enumerable.Range(0, Case.Rows).ToArray(), Case.Rows);
        _y = _tensors.Zeros(DType.F32, Case.Rows, Case.Width);
    }

    [Benchmark]
    public void Rope()
    {
        _backend.Kernels.Rope(_x, _positions, HeadDim, 1e6f, _y);
        _backend.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tensors.Dispose();
        _backend.Dispose();
    }
}
