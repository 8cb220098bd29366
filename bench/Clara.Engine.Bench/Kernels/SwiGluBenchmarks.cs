using BenchmarkDotNet.Attributes;
using Clara.Engine.Backends;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Kernels;

public class SwiGluBenchmarks
{
    private IBackend _backend = null!;
    private BenchTensors _tensors = null!;
    private Tensor _gate = null!, _up = null!, _y = null!;

    [ParamsSource(nameof(Cases))]
    public RowKernelCase Case { get; set; } = null!;

    public static IEnumerable<RowKernelCase> Cases() => [new(1, 14336, 2), new(128, 14336, 2)];

    [GlobalSetup]
    public void Setup()
    {
        _backend = BenchSettings.BackendFactory();
        _tensors = new BenchTensors(_backend);
        _gate = _tensors.Random(DType.F32, 1f, Case.Rows, Case.Width);
        _up = _tensors.Random(DType.F32, 1f, Case.Rows, Case.Width);
        _y = _tensors.Zeros(DType.F32, Case.Rows, Case.Width);
    }

    [Benchmark]
    public void SwiGlu()
    {
        _backend.Kernels.SwiGlu(_gate, _up, _y);
        _backend.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tensors.Dispose();
        _backend.Dispose();
    }
}
