using Clara.Engine.Native.Cuda;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// What the GB/s column is a percentage of: this device's own device-to-device copy bandwidth, measured
/// before the checks, rather than one fixed H100 figure that makes every other GPU look slow or fast.
/// </summary>
public sealed record BandwidthReference(double GigabytesPerSecond, string Source)
{
    public double Percent(double gigabytesPerSecond) => 100 * gigabytesPerSecond / GigabytesPerSecond;

    public string ColumnHeader => $"% of {GigabytesPerSecond:F0} GB/s";
}

/// <summary>The device's measured copy bandwidth and fp32 matmul throughput, timed with events on the backend's stream.</summary>
public sealed record DeviceBaseline(double CopyGigabytesPerSecond, double MatMulTeraflops, string MatMulShape)
{
    private const int Repetitions = 20;

    public BandwidthReference Bandwidth => new(CopyGigabytesPerSecond, "measured device-to-device copy");

    /// <summary>
    /// A copy of up to 256 MiB (an eighth of device memory at most) counts read plus write bytes, as the
    /// kernels' GB/s do; the matmul is [2048, 4096] × [4096, 4096] through cuBLAS.
    /// </summary>
    public static DeviceBaseline Measure(CudaBackend gpu)
    {
        long bytes = Math.Min(256L << 20, gpu.Device.TotalMemoryBytes / 8) / 4 * 4;
        int floats = checked((int)(bytes / 4));
        var source = Tensor.Allocate(gpu, new Shape(floats), DType.F32);
        var destination = Tensor.Allocate(gpu, new Shape(floats), DType.F32);
        double copySeconds;
        try
        {
            copySeconds = Time(gpu, () => gpu.Copy(source, destination));
        }
        finally
        {
            source.Buffer.Dispose();
            destination.Buffer.Dispose();
        }

        const int m = 2048, n = 4096, k = 4096;
        var x = Tensor.Allocate(gpu, new Shape(m, k), DType.F32);
        var w = Tensor.Allocate(gpu, new Shape(n, k), DType.F32);
        var y = Tensor.Allocate(gpu, new Shape(m, n), DType.F32);
        double matMulSeconds;
        try
        {
            matMulSeconds = Time(gpu, () => gpu.Kernels.MatMul(x, w, y));
        }
        finally
        {
            x.Buffer.Dispose();
            w.Buffer.Dispose();
            y.Buffer.Dispose();
        }
        return new DeviceBaseline(2.0 * bytes / copySeconds / 1e9, 2.0 * m * n * k / matMulSeconds / 1e12, $"[{m}, {k}] x [{n}, {k}] fp32");
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
        return CudaEvent.ElapsedMilliseconds(start, end) / 1e3 / Repetitions;
    }
}
