using System.Runtime.InteropServices;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Tensors;

namespace Clara.Engine.Diagnostics;

/// <summary>
/// What the GB/s column is a percentage of: this device's own device-to-device copy bandwidth, measured
/// before the checks, rather than one fixed H100 figure that makes every other GPU look slow or fast.
/// </summary>
public sealed record BandwidthReference(double GigabytesPerSecond, string Source)
{
    public double Percent(double gigabytesPerSecond) => 100 * gigabytesPerSecond / GigabytesPerSecond;

    public string ColumnHeader => $"% of {GigabytesPerSecond:F0} GB/s";
}

/// <summary>
/// One timed operation of the baseline: milliseconds per call and the rate it reached, in TFLOP/s for products
/// (<see cref="Teraflops"/>) or GB/s of the bytes it must move (<see cref="GigabytesPerSecond"/>).
/// </summary>
public sealed record BaselineTiming(string Name, string Shape, double Milliseconds, double? Teraflops = null, double? GigabytesPerSecond = null)
{
    /// <summary>One report line; bandwidth-bound rows also say what share of the measured copy they reached.</summary>
    public string Format(BandwidthReference reference)
    {
        string rate = Teraflops is { } tf ? $"{tf,8:F1} TFLOP/s" : GigabytesPerSecond is { } gbs ? $"{gbs,8:F0} GB/s ({reference.Percent(gbs):F0}% of copy)" : "";
        return $"  {Name,-28} {Shape,-52} {Milliseconds,9:F3} ms {rate}";
    }
}

/// <summary>
/// The device's own ceilings and the engine's hot operations, timed with events on the backend's stream before the
/// kernel checks: the device-to-device copy (the percentage reference), cuBLAS products in exact fp32 and on tensor
/// cores with bf16 weights, and attention at Mistral-7B's head shape (decode over a long cache, causal prefill).
/// Inputs are random (never zeros, which can run faster than real data).
/// </summary>
public sealed record DeviceBaseline(double CopyGigabytesPerSecond, IReadOnlyList<BaselineTiming> Timings)
{
    private const int Repetitions = 20;

    public BandwidthReference Bandwidth => new(CopyGigabytesPerSecond, "measured device-to-device copy");

    /// <summary>The report: one line per timing.</summary>
    public IEnumerable<string> Lines() => Timings.Select(t => t.Format(Bandwidth));

    /// <summary>The rate of the timing named <paramref name="name"/>, if measured (TFLOP/s or GB/s).</summary>
    public double? Rate(string name) => Timings.FirstOrDefault(timing => timing.Name == name) is { } t ? t.Teraflops ?? t.GigabytesPerSecond : null;

    /// <summary>
    /// A copy of up to 256 MiB (an eighth of device memory at most) counts read plus write bytes, as the kernels'
    /// GB/s do. Products are [2048, 4096] × [4096, 4096]ᵀ (2·M·N·K flops); decode attention is 16 sequences × 1 query
    /// against 2 048 cached positions, 32 query / 8 KV heads of 128 (GB/s of the K/V cache read once); prefill is one
    /// 1 024-token causal sequence (2·2·H·d·T(T+1)/2 flops).
    /// </summary>
    public static DeviceBaseline Measure(CudaBackend gpu)
    {
        var timings = new List<BaselineTiming>();
        long bytes = Math.Min(256L << 20, gpu.Device.TotalMemoryBytes / 8) / 4 * 4;
        int floats = checked((int)(bytes / 4));
        double copySeconds;
        using (var tensors = new Scratch(gpu))
        {
            var source = tensors.Random(DType.F32, floats);
            var destination = tensors.Zeros(DType.F32, floats);
            copySeconds = Time(gpu, () => gpu.Copy(source, destination));
        }
        double copy = 2.0 * bytes / copySeconds / 1e9;
        timings.Add(new("device-to-device copy", $"{bytes >> 20} MiB", copySeconds * 1e3, GigabytesPerSecond: copy));

        const int m = 2048, n = 4096, k = 4096;
        foreach (var (storage, precision, name) in new[]
                 {
                     (DType.F32, CudaMatMulPrecision.Fp32, "matmul fp32 (cuBLAS)"),
                     (DType.BF16, CudaMatMulPrecision.TensorCore16Bit, "matmul bf16 tensor cores"),
                 })
        {
            using var tensors = new Scratch(gpu);
            var x = tensors.Random(DType.F32, m, k);
            var w = tensors.Random(storage, n, k);
            var y = tensors.Zeros(DType.F32, m, n);
            double seconds = Time(gpu, () => gpu.CudaKernels.MatMul(x, w, y, 1f, 0f, precision));
            timings.Add(new(name, $"[{m}, {k}]·[{n}, {k}]ᵀ {storage} weights", seconds * 1e3, Teraflops: 2.0 * m * n * k / seconds / 1e12));
        }

        timings.Add(Attention(gpu, "attention decode", new AttentionLayout(16, 1, 2047, 32, 8, 128, 1f / MathF.Sqrt(128)), 2048));
        timings.Add(Attention(gpu, "attention prefill", new AttentionLayout(1, 1024, 0, 32, 8, 128, 1f / MathF.Sqrt(128)), 1024));
        return new DeviceBaseline(copy, timings);
    }

    private static BaselineTiming Attention(CudaBackend gpu, string name, AttentionLayout layout, int capacity)
    {
        using var tensors = new Scratch(gpu);
        int rows = layout.Batch * layout.QueryLength, kvWidth = layout.KvHeads * layout.HeadDim;
        var query = tensors.Random(DType.F32, rows, layout.Heads * layout.HeadDim);
        var keys = tensors.Random(DType.F32, layout.Batch, capacity, kvWidth);
        var values = tensors.Random(DType.F32, layout.Batch, capacity, kvWidth);
        var mask = tensors.Ones(layout.Batch, capacity);
        var output = tensors.Zeros(DType.F32, rows, layout.Heads * layout.HeadDim);
        double seconds = Time(gpu, () => gpu.Kernels.Attention(query, keys, values, mask, layout, output));
        string shape = $"b={layout.Batch} q={layout.QueryLength} keys={layout.Start + layout.QueryLength} heads={layout.Heads}/{layout.KvHeads} d={layout.HeadDim}";
        if (layout.QueryLength == 1)
        {
            long cacheBytes = 2L * layout.Batch * (layout.Start + 1) * kvWidth * sizeof(float);
            return new(name, shape, seconds * 1e3, GigabytesPerSecond: cacheBytes / seconds / 1e9);
        }
        double pairs = (double)layout.Batch * layout.QueryLength * (layout.QueryLength + 1) / 2;
        return new(name, shape + " causal", seconds * 1e3, Teraflops: 4.0 * layout.Heads * layout.HeadDim * pairs / seconds / 1e12);
    }

    /// <summary>Mean seconds per call after one warm-up call, between two events on the stream.</summary>
    private static double Time(CudaBackend gpu, Action work)
    {
        work();
        gpu.Synchronize();
        using var start = gpu.Context.CreateEvent(timing: true);
        using var end = gpu.Context.CreateEvent(timing: true);
        start.Record(gpu.Stream);
        for (int i = 0; i < Repetitions; i++) work();
        end.Record(gpu.Stream);
        double seconds = CudaEvent.ElapsedMilliseconds(start, end) / 1e3 / Repetitions;
        gpu.Synchronize();
        return seconds;
    }

    /// <summary>Device tensors of one measurement, freed together.</summary>
    private sealed class Scratch(CudaBackend gpu) : IDisposable
    {
        private readonly List<Tensor> _tensors = [];
        private uint _state = 2463534242;

        public Tensor Zeros(DType type, params int[] dims)
        {
            var tensor = Tensor.Allocate(gpu, new Shape(dims), type);
            _tensors.Add(tensor);
            return tensor;
        }

        /// <summary>Uniform values in [−1, 1) (xorshift), stored as <paramref name="type"/>.</summary>
        public Tensor Random(DType type, params int[] dims)
        {
            var tensor = Zeros(type, dims);
            var values = new float[tensor.Shape.ElementCount];
            for (int i = 0; i < values.Length; i++)
            {
                _state ^= _state << 13;
                _state ^= _state >> 17;
                _state ^= _state << 5;
                values[i] = (_state >> 8) * (2f / (1 << 24)) - 1f;
            }
            var bytes = new byte[tensor.ByteLength];
            IO.BulkConvert.FromFloat32(type, values, bytes);
            gpu.Upload(bytes, tensor);
            return tensor;
        }

        public Tensor Ones(params int[] dims)
        {
            var tensor = Zeros(DType.I32, dims);
            var ones = new int[tensor.Shape.ElementCount];
            Array.Fill(ones, 1);
            gpu.Upload(MemoryMarshal.AsBytes(ones.AsSpan()), tensor);
            return tensor;
        }

        public void Dispose()
        {
            gpu.Synchronize();
            foreach (var tensor in _tensors) tensor.Buffer.Dispose();
        }
    }
}
