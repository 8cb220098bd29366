using System.Runtime.InteropServices;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Tensors;

namespace Clara.Engine.Diagnostics;

/// <summary>The same tensor on the reference CPU backend and on the backend under test, uploaded from the same bytes.</summary>
internal readonly record struct TensorPair(Tensor Cpu, Tensor Device);

/// <summary>
/// The workbench of one kernel check: identical random inputs on the backend under test and on the CPU reference,
/// reading results back, the error measure and the bandwidth timer. Owns every buffer it allocates. Any backend can
/// be the one under test (a second CPU backend checks the checks themselves); CUDA adds timing and its extra kernels.
/// </summary>
internal sealed class CheckBench(IBackend device, CpuBackend cpu, int seed) : IDisposable
{
    private const int TimedRepetitions = 20;
    private readonly List<DeviceBuffer> _buffers = [];

    public IBackend Device { get; } = device;

    /// <summary>The CUDA-only kernels (per-call matmul precision, casts), or null on another backend.</summary>
    public CudaKernels? Cuda => (Device as CudaBackend)?.CudaKernels;
    public CpuBackend Cpu { get; } = cpu;
    public Random Random { get; } = new(seed);

    /// <summary>Normally distributed values (Box–Muller) times <paramref name="scale"/>.</summary>
    public float[] Normal(long count, float scale = 1f)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            double u = 1 - Random.NextDouble(), v = Random.NextDouble();
            values[i] = (float)(scale * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
        return values;
    }

    public int[] Integers(long count, int below)
    {
        var values = new int[count];
        for (long i = 0; i < count; i++) values[i] = Random.Next(below);
        return values;
    }

    /// <summary>Values stored as <paramref name="storage"/> (rounded once on the host, so both backends see the same bits).</summary>
    public TensorPair Floats(float[] values, int[] dims, DType storage = DType.F32)
    {
        var bytes = new byte[values.Length * storage.SizeOf()];
        IO.BulkConvert.FromFloat32(storage, values, bytes);
        return Upload(bytes, dims, storage);
    }

    public TensorPair Ints(int[] values, params int[] dims) => Upload(MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), dims, DType.I32);

    public TensorPair Zeros(DType type, params int[] dims) => Upload(new byte[new Shape(dims).ElementCount * type.SizeOf()], dims, type);

    private TensorPair Upload(byte[] bytes, int[] dims, DType type)
    {
        var cpuTensor = Allocate(Cpu, dims, type);
        var deviceTensor = Allocate(Device, dims, type);
        Cpu.Upload(bytes, cpuTensor);
        Device.Upload(bytes, deviceTensor);
        return new TensorPair(cpuTensor, deviceTensor);
    }

    private Tensor Allocate(IBackend backend, int[] dims, DType type)
    {
        var tensor = Tensor.Allocate(backend, new Shape(dims), type);
        _buffers.Add(tensor.Buffer);
        return tensor;
    }

    public static float[] Read(Tensor tensor) => tensor.ToFloatArray();

    /// <summary>max |actual − expected| / max |expected| (NaN in either gives +∞).</summary>
    public static double MaxRelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        if (actual.Length != expected.Length) return double.PositiveInfinity;
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(actual[i]) != float.IsNaN(expected[i])) return double.PositiveInfinity;
            if (float.IsNaN(actual[i])) continue;
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    /// <summary>The error of the tested backend's tensor against the CPU tensor of a pair.</summary>
    public static double Error(TensorPair pair) => MaxRelativeError(Read(pair.Device), Read(pair.Cpu));

    /// <summary>The largest <see cref="Error"/> over several outputs of one op.</summary>
    public static double Error(params ReadOnlySpan<TensorPair> pairs)
    {
        double worst = 0;
        foreach (var pair in pairs) worst = Math.Max(worst, Error(pair));
        return worst;
    }

    /// <summary>0 when the integer tensors agree, else the fraction of differing elements.</summary>
    public static double Mismatch(TensorPair pair)
    {
        var a = pair.Device.ToIntArray();
        var e = pair.Cpu.ToIntArray();
        return a.Length == 0 ? 0 : a.Zip(e).Count(p => p.First != p.Second) / (double)a.Length;
    }

    /// <summary>
    /// Effective bandwidth of <paramref name="launch"/> (which moves <paramref name="bytes"/>): one warm-up,
    /// then the mean of several launches between two events on the backend's stream; null off CUDA.
    /// </summary>
    public double? Bandwidth(long bytes, Action launch)
    {
        if (Device is not CudaBackend Gpu) return null;
        launch();
        Gpu.Synchronize();
        using var start = Gpu.Context.CreateEvent(timing: true);
        using var end = Gpu.Context.CreateEvent(timing: true);
        start.Record(Gpu.Stream);
        for (int i = 0; i < TimedRepetitions; i++) launch();
        end.Record(Gpu.Stream);
        double seconds = CudaEvent.ElapsedMilliseconds(start, end) / 1e3 / TimedRepetitions;
        return bytes / seconds / 1e9;
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers) buffer.Dispose();
    }
}
