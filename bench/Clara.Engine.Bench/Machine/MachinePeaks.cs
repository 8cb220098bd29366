using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Clara.Engine.Bench.Machine;

/// <summary>What this machine can do at best, measured once per process: the roofs the "% of peak" columns divide by.</summary>
public sealed record MachinePeaks(int Threads, double FmaGflops, double ReadGBps, double CopyGBps)
{
    private static readonly Lazy<MachinePeaks> s_current = new(() => Measure(BenchSettings.Threads));

    /// <summary>The peaks for <see cref="BenchSettings.Threads"/>, measured on first use (about two seconds).</summary>
    public static MachinePeaks Current => s_current.Value;

    /// <summary>Best of several short runs of each probe; a loaded machine only ever makes a probe slower.</summary>
    public static MachinePeaks Measure(int threads, int repeats = 5)
    {
        double fma = Best(repeats, () => FmaProbe.Gflops(threads));
        using var memory = new MemoryProbe();
        return new(threads, fma, Best(repeats, () => memory.ReadGBps(threads)), Best(repeats, () => memory.CopyGBps(threads)));
    }

    private static double Best(int repeats, Func<double> probe)
    {
        double best = 0;
        for (int i = 0; i < repeats; i++) best = Math.Max(best, probe());
        return best;
    }
}

/// <summary>
/// fp32 FMA throughput: each thread runs twelve independent FMA chains in the widest vectors the JIT offers, enough
/// chains to hide the FMA latency on every current x86 and Arm core.
/// </summary>
internal static class FmaProbe
{
    private const long Iterations = 20_000_000;
    private const int Chains = 12;

    public static double Gflops(int threads)
    {
        int lanes = Vector512.IsHardwareAccelerated ? Vector512<float>.Count : Vector256.IsHardwareAccelerated ? Vector256<float>.Count : Vector128<float>.Count;
        var sink = new float[threads];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            sink[t] = Vector512.IsHardwareAccelerated ? Run512(Iterations) : Run256(Iterations));
        double seconds = clock.Elapsed.TotalSeconds;
        GC.KeepAlive(sink);
        return threads * Iterations * Chains * lanes * 2.0 / seconds / 1e9;
    }

    private static float Run512(long iterations)
    {
        var a0 = Vector512.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        var m = Vector512.Create(0.9999999f);
        var c = Vector512.Create(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    private static float Run256(long iterations)
    {
        var a0 = Vector256.Create(1f); var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0;
        var a6 = a0; var a7 = a0; var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0;
        var m = Vector256.Create(0.9999999f);
        var c = Vector256.Create(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, c); a1 = Vector256.FusedMultiplyAdd(a1, m, c);
            a2 = Vector256.FusedMultiplyAdd(a2, m, c); a3 = Vector256.FusedMultiplyAdd(a3, m, c);
            a4 = Vector256.FusedMultiplyAdd(a4, m, c); a5 = Vector256.FusedMultiplyAdd(a5, m, c);
            a6 = Vector256.FusedMultiplyAdd(a6, m, c); a7 = Vector256.FusedMultiplyAdd(a7, m, c);
            a8 = Vector256.FusedMultiplyAdd(a8, m, c); a9 = Vector256.FusedMultiplyAdd(a9, m, c);
            a10 = Vector256.FusedMultiplyAdd(a10, m, c); a11 = Vector256.FusedMultiplyAdd(a11, m, c);
        }
        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}

/// <summary>
/// DRAM bandwidth over buffers far larger than any last-level cache: read (a vector sum, what a decode step does
/// to the weights) and copy (counted as bytes read plus bytes written).
/// </summary>
internal sealed unsafe class MemoryProbe : IDisposable
{
    private const long BufferBytes = 512L << 20;
    private readonly NativeBlock _source = new(BufferBytes);
    private readonly NativeBlock _target = new(BufferBytes);

    public double ReadGBps(int threads)
    {
        long chunk = BufferBytes / threads;
        var sink = new float[threads];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            sink[t] = Sum((float*)(_source.Pointer + t * chunk), chunk / sizeof(float)));
        double seconds = clock.Elapsed.TotalSeconds;
        GC.KeepAlive(sink);
        return BufferBytes / seconds / 1e9;
    }

    public double CopyGBps(int threads)
    {
        long chunk = BufferBytes / threads;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            Buffer.MemoryCopy(_source.Pointer + t * chunk, _target.Pointer + t * chunk, chunk, chunk));
        return 2.0 * BufferBytes / clock.Elapsed.TotalSeconds / 1e9;
    }

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
    }
    /// <summary>
    /// Sums a region as eight interleaved streams of whole vectors, the access pattern of a weight-streaming
    /// matrix-vector product, so the roof is what such a kernel can reach rather than what one stream gets.
    /// </summary>
    private static float Sum(float* p, long count)
    {
        int lanes = Vector512<float>.Count;
        long stream = count / 8 / lanes * lanes;
        float* s0 = p, s1 = p + stream, s2 = p + 2 * stream, s3 = p + 3 * stream;
        float* s4 = p + 4 * stream, s5 = p + 5 * stream, s6 = p + 6 * stream, s7 = p + 7 * stream;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        for (long i = 0; i < stream; i += lanes)
        {
            a0 += Vector512.Load(s0 + i); a1 += Vector512.Load(s1 + i); a2 += Vector512.Load(s2 + i); a3 += Vector512.Load(s3 + i);
            a4 += Vector512.Load(s4 + i); a5 += Vector512.Load(s5 + i); a6 += Vector512.Load(s6 + i); a7 += Vector512.Load(s7 + i);
        }
        float total = Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
        for (long i = 8 * stream; i < count; i++) total += p[i];
        return total;
    }

    /// <summary>Aligned native memory, touched once so the probe measures DRAM and not page faults.</summary>
    private sealed class NativeBlock : IDisposable
    {
        public NativeBlock(long bytes)
        {
            Pointer = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 64);
            NativeMemory.Fill(Pointer, (nuint)bytes, 1);
        }

        public byte* Pointer { get; private set; }

        public void Dispose()
        {
            if (Pointer is null) return;
            NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }
}
