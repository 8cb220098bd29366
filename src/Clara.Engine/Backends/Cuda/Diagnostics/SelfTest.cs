using System.Diagnostics;
using System.Globalization;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Native.Nvrtc;

namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// `clara selftest`: compiles every kernel with NVRTC, then (with a CUDA device) runs every kernel against
/// its CPU twin on random inputs of awkward sizes and prints one table row per comparison. Without a GPU
/// it says plainly why none was found and passes on the CPU-only part.
/// </summary>
public static class SelfTest
{
    /// <summary>The bandwidth the GB/s column is compared with (a well-fed H100/H200 copy kernel reaches about this much).</summary>
    public const double ReferenceBandwidthGBs = 2830;

    private static readonly IReadOnlyList<int> ArchitecturesWithoutDevice = [80, 90];

    /// <summary>
    /// Runs the self-test for <paramref name="device"/> ("cuda", "cuda:N" or "cpu") and writes a report to
    /// <paramref name="output"/>. Returns 0 when everything that could run passed, 1 otherwise.
    /// </summary>
    public static int Run(string device, TextWriter output)
    {
        var invariant = CultureInfo.InvariantCulture;
        bool wantCuda = device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
        int ordinal = 0;
        if (wantCuda && device.Length > 4 && (device[4] != ':' || !int.TryParse(device.AsSpan(5), NumberStyles.None, invariant, out ordinal)))
        {
            output.WriteLine($"selftest: unknown device '{device}' (expected cpu, cuda or cuda:N)");
            return 1;
        }
        if (!wantCuda && !device.Equals("cpu", StringComparison.OrdinalIgnoreCase))
        {
            output.WriteLine($"selftest: unknown device '{device}' (expected cpu, cuda or cuda:N)");
            return 1;
        }

        output.WriteLine("Clara CUDA self-test");
        string reason = "";
        bool cudaAvailable = wantCuda && CudaBackend.Probe(out reason);
        if (wantCuda && !cudaAvailable)
        {
            output.WriteLine($"No CUDA device/driver found: {reason}");
            output.WriteLine("Only the CPU-only part runs (compiling every kernel with NVRTC).");
        }

        bool compiled = CompileAll(output, cudaAvailable ? null : ArchitecturesWithoutDevice);
        if (!cudaAvailable)
        {
            output.WriteLine(compiled ? "CPU-only part passed." : "CPU-only part FAILED.");
            return compiled ? 0 : 1;
        }
        return compiled & CompareKernels(ordinal, output) ? 0 : 1;
    }

    /// <summary>Compiles every kernel file for each of <paramref name="architectures"/> (null: the GPUs present, done by the backend).</summary>
    private static bool CompileAll(TextWriter output, IReadOnlyList<int>? architectures)
    {
        var nvrtc = NvrtcCompiler.TryGet(out var reason);
        if (nvrtc is null)
        {
            output.WriteLine($"NVRTC not found, kernels not compiled: {reason}");
            return true;
        }
        output.WriteLine($"NVRTC {nvrtc.Version} ({nvrtc.Library.FileName}), targets sm_{nvrtc.SupportedArchitectures.Min()}…sm_{nvrtc.SupportedArchitectures.Max()}");
        if (architectures is null) return true;

        var compiler = new KernelCompiler(nvrtc, new KernelCache(null));
        bool ok = true;
        foreach (int architecture in architectures)
        {
            var watch = Stopwatch.StartNew();
            var failures = new List<string>();
            foreach (var file in KernelSources.FileNames)
            {
                try
                {
                    compiler.Compile(KernelSources.Get(file), NvrtcOutputKind.Cubin, architecture, useCache: false);
                }
                catch (Exception e) when (e is NvrtcException or NotSupportedException)
                {
                    failures.Add(e.Message);
                }
            }
            output.WriteLine(failures.Count == 0
                ? $"  compiled {KernelSources.FileNames.Count} kernel files for sm_{architecture} in {watch.Elapsed.TotalSeconds:F1} s"
                : $"  sm_{architecture}: {failures.Count} kernel file(s) FAILED to compile:\n    {string.Join("\n    ", failures)}");
            ok &= failures.Count == 0;
        }
        return ok;
    }

    private static bool CompareKernels(int ordinal, TextWriter output)
    {
        using var gpu = CudaBackend.Create(ordinal);
        var cpu = new CpuBackend();
        var d = gpu.Device;
        output.WriteLine($"device: {gpu.Name} {d.Name} (sm_{d.ComputeCapability}, {d.MultiprocessorCount} SMs, {d.TotalMemoryBytes / (1L << 30)} GiB, " +
                         $"peak {d.PeakMemoryBandwidth / 1e12:F2} TB/s), driver {CudaDriver.Instance.Version}");
        output.WriteLine($"{"kernel",-34} {"shape",-44} {"max rel err",11} {"tolerance",9} {"result",-6} {"GB/s",8} {"% of 2.83 TB/s",14}");

        int passed = 0, failed = 0, seed = 1;
        foreach (var check in KernelChecks.All)
        {
            IReadOnlyList<KernelCheckResult> results;
            try
            {
                using var bench = new CheckBench(gpu, cpu, seed++);
                results = check.Run(bench).ToList();
            }
            catch (Exception e) when (e is CudaException or InvalidOperationException or ArgumentException or NotSupportedException or NotImplementedException
                                       or Native.Cublas.CublasException or NvrtcException)
            {
                failed++;
                output.WriteLine($"{check.Name,-34} ERROR: {e.Message}");
                if (e is CudaDeviceFaultedException) { output.WriteLine("the device faulted; the remaining checks cannot run"); break; }
                continue;
            }
            foreach (var r in results)
            {
                if (r.Passed) passed++; else failed++;
                string bandwidth = r.GigabytesPerSecond is { } gbs ? $"{gbs,8:F1} {100 * gbs / ReferenceBandwidthGBs,13:F1}%" : $"{"",8} {"",14}";
                output.WriteLine($"{r.Kernel,-34} {r.Shape,-44} {r.MaxRelativeError,11:E2} {r.Tolerance,9:E0} {(r.Passed ? "pass" : "FAIL"),-6} {bandwidth}");
            }
        }
        output.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0;
    }
}
