using Clara.Engine.Backends.Cpu;
using Clara.Engine.Backends.Cuda;
using Clara.Engine.Diagnostics;
using Clara.Engine.Tensors;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cuda;

/// <summary>
/// GPU tests: every CUDA kernel against its CPU twin (the checks `clara selftest` prints), plus the
/// behaviours only a device shows (fault flags). Ignored, with the reason, where there is no CUDA device.
/// </summary>
[NonParallelizable]
public class CudaKernelCheckTests : CudaDeviceFixture
{
    public static IEnumerable<TestCaseData> Checks() =>
        KernelChecks.All.Select((check, i) => new TestCaseData(check.Name, i + 1).SetName($"MatchesCpuTwin({check.Name})"));

    [TestCaseSource(nameof(Checks))]
    public void MatchesCpuTwin(string name, int seed)
    {
        var gpu = RequireDevice();
        using var bench = new CheckBench(gpu, new CpuBackend(), seed);
        var results = KernelChecks.All.Single(c => c.Name == name).Run(bench).ToList();
        foreach (var r in results)
            TestContext.Out.WriteLine($"{r.Kernel} {r.Shape}: max rel error {r.MaxRelativeError:E2} (tolerance {r.Tolerance:E0}){(r.GigabytesPerSecond is { } g ? $", {g:F0} GB/s" : "")}");
        Assert.That(results, Is.Not.Empty);
        Assert.That(results.Where(r => !r.Passed).Select(r => $"{r.Kernel} {r.Shape}: {r.MaxRelativeError:E3} > {r.Tolerance:E1}"), Is.Empty);
    }

    [Test]
    public void AnOutOfRangeTokenIdIsReportedAtTheNextSynchronisation()
    {
        var gpu = RequireDevice();
        var table = Tensor.FromFloats(gpu, new float[12], 3, 4);
        var ids = Tensor.FromInts(gpu, [0, 3], 2);
        var output = Tensor.Allocate(gpu, new Shape(2, 4), DType.F32);
        using var buffers = new Buffers(table, ids, output);

        gpu.Kernels.Embedding(ids, table, output);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(gpu.Synchronize);

        Assert.That(ex!.Message, Does.Contain("index outside its range"));
        Assert.DoesNotThrow(gpu.Synchronize, "the flag is cleared once reported");
        Assert.That(output.ToFloatArray().Skip(4), Is.All.NaN, "the bad row is NaN, never read out of bounds");
    }

    [Test]
    public void ACapturedGraphRunsOnlyWhenReplayed()
    {
        var gpu = RequireDevice();
        var a = Tensor.FromFloats(gpu, [1f, 2f, 3f], 3);
        var y = Tensor.FromFloats(gpu, [0f, 0f, 0f], 3);
        using var buffers = new Buffers(a, y);
        gpu.Kernels.Add(a, y, y); // warm-up: compiles and loads the kernel outside the capture
        gpu.Upload(new byte[12], y);

        using var graph = gpu.Capture(() => gpu.Kernels.Add(a, y, y));
        Assert.That(y.ToFloatArray(), Is.EqualTo(new[] { 0f, 0f, 0f }), "capturing records, it does not run");
        gpu.Replay(graph);
        gpu.Replay(graph);

        Assert.That(y.ToFloatArray(), Is.EqualTo(new[] { 2f, 4f, 6f }));
    }

    [Test]
    public void AFailedCaptureLeavesTheStreamUsable()
    {
        var gpu = RequireDevice();
        var a = Tensor.FromFloats(gpu, [1f, 2f, 3f], 3);
        var y = Tensor.FromFloats(gpu, [0f, 0f, 0f], 3);
        using var buffers = new Buffers(a, y);
        gpu.Kernels.Add(a, y, y);

        Assert.Throws<InvalidOperationException>(() => gpu.Capture(() => throw new InvalidOperationException("recording failed")));
        gpu.Kernels.Add(a, y, y);
        Assert.That(y.ToFloatArray(), Is.EqualTo(new[] { 2f, 4f, 6f }), "the capture was ended, so the stream runs work again");
    }

    /// <summary>
    /// cublasGemmStridedBatchedEx (bound for batched attention): three row-major products C_i = A_i·B_i through the
    /// column-major identity Cᵀ = Bᵀ·Aᵀ, against the same products summed on the host in double.
    /// </summary>
    [Test]
    public void StridedBatchedGemmComputesEveryBatch()
    {
        var gpu = RequireDevice();
        const int batch = 3, m = 5, k = 7, n = 4;
        var random = new Random(11);
        float[] Values(int count) => Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        float[] av = Values(batch * m * k), bv = Values(batch * k * n);
        var a = Tensor.FromFloats(gpu, av, batch, m, k);
        var b = Tensor.FromFloats(gpu, bv, batch, k, n);
        var c = Tensor.FromFloats(gpu, new float[batch * m * n], batch, m, n);
        using var buffers = new Buffers(a, b, c);
        using var blas = Clara.Engine.Native.Cublas.CublasHandle.Create(gpu.Context, gpu.Stream);
        var f32 = Clara.Engine.Native.Cublas.CudaDataType.R32F;
        var none = Clara.Engine.Native.Cublas.CublasOperation.None;
        blas.GemmStridedBatchedEx(none, none, n, m, k, 1f,
            CudaTensor.F32(b, gpu, "b"), f32, n, (long)k * n,
            CudaTensor.F32(a, gpu, "a"), f32, k, (long)m * k,
            0f, CudaTensor.F32(c, gpu, "c"), f32, n, (long)m * n, batch);
        gpu.Synchronize();

        var actual = c.ToFloatArray();
        for (int i = 0; i < batch; i++)
            for (int r = 0; r < m; r++)
                for (int col = 0; col < n; col++)
                {
                    double sum = 0;
                    for (int j = 0; j < k; j++) sum += (double)av[(i * m + r) * k + j] * bv[(i * k + j) * n + col];
                    Assert.That(actual[(i * m + r) * n + col], Is.EqualTo(sum).Within(1e-5), $"batch {i} [{r}, {col}]");
                }
    }

    [Test]
    public void TensorsOfAnotherBackendAreRefusedByName()
    {
        var gpu = RequireDevice();
        var cpu = new CpuBackend();
        var x = Tensor.FromFloats(cpu, [1f, 2f], 2);
        var y = Tensor.Allocate(gpu, new Shape(2), DType.F32);
        using var buffers = new Buffers(x, y);

        var ex = Assert.Throws<ArgumentException>(() => gpu.Kernels.Add(x, x, y));
        Assert.That(ex!.Message, Does.Contain("add a").And.Contain("is not on cuda:0"));
    }

    /// <summary>Releases the tensors' buffers at the end of a test.</summary>
    private sealed class Buffers(params Tensor[] tensors) : IDisposable
    {
        public void Dispose()
        {
            foreach (var t in tensors) t.Buffer.Dispose();
        }
    }
}
