using System.Diagnostics;
using System.Globalization;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Native.Nvrtc;

namespace Clara.Engine.Diagnostics;

/// <summary>Exit codes of `clara selftest`, the same as every other `clara` command's.</summary>
public static class SelfTestExitCodes
{
    public const int Passed = 0;
    /// <summary>A kernel failed to compile or disagreed with its CPU twin, or the arguments were wrong.</summary>
    public const int Failed = 1;
    /// <summary>The GPU stack asked for is missing or unusable (no driver or device, no NVRTC, no cuBLAS).</summary>
    public const int GpuStackUnavailable = 3;
}

/// <summary>
/// `clara selftest`: compiles every kernel with NVRTC, then (with a CUDA device) runs every kernel against
/// its CPU twin on random inputs of awkward sizes and prints one table row per comparison. Without a GPU
/// it says plainly why none was found, still compiles the kernels, and exits 3 when CUDA was asked for:
/// a GPU machine whose stack is broken must not pass. `--device cpu` is the compile-only part, and it
/// exits 3 too when NVRTC is missing, since then nothing was checked.
/// </summary>
public static class SelfTest
{
    /// <summary>
    /// The H100/H200 copy bandwidth, kept only as a fallback when the device's own copy cannot be timed;
    /// the GB/s column is normally a percentage of <see cref="DeviceBaseline"/>'s measured copy.
    /// </summary>
    public const double ReferenceBandwidthGBs = 2830;

    private static readonly IReadOnlyList<int> ArchitecturesWithoutDevice = [80, 90];

    /// <summary>
    /// Runs the self-test for <paramref name="device"/> ("cuda", "cuda:N" or "cpu") and writes a report to
    /// <paramref name="output"/>. Returns one of <see cref="SelfTestExitCodes"/>.
    /// </summary>
    public static int Run(string device, TextWriter output) => Run(device, output, LoadNvrtc);

    private static (NvrtcCompiler? Compiler, string Reason) LoadNvrtc()
    {
        var compiler = NvrtcCompiler.TryGet(out var reason);
        return (compiler, reason);
    }

    /// <summary><see cref="Run(string, TextWriter)"/> with NVRTC from <paramref name="loadNvrtc"/>, so a test can take it away.</summary>
    internal static int Run(string device, TextWriter output, Func<(NvrtcCompiler? Compiler, string Reason)> loadNvrtc)
    {
        var invariant = CultureInfo.InvariantCulture;
        bool wantCuda = device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase);
        int ordinal = 0;
        if (wantCuda && device.Length > 4 && (device[4] != ':' || !int.TryParse(device.AsSpan(5), NumberStyles.None, invariant, out ordinal)))
        {
            output.WriteLine($"selftest: unknown device '{device}' (expected cpu, cuda or cuda:N)");
            return SelfTestExitCodes.Failed;
        }
        if (!wantCuda && !device.Equals("cpu", StringComparison.OrdinalIgnoreCase))
        {
            output.WriteLine($"selftest: unknown device '{device}' (expected cpu, cuda or cuda:N)");
            return SelfTestExitCodes.Failed;
        }

        output.WriteLine("Clara CUDA self-test");
        string reason = "";
        bool cudaAvailable = wantCuda && CudaBackend.Probe(out reason);
        if (wantCuda && !cudaAvailable)
        {
            output.WriteLine($"No CUDA device/driver found: {reason}");
            output.WriteLine("Only the CPU-only part runs (compiling every kernel with NVRTC).");
        }

        var compiled = CompileAll(output, cudaAvailable ? null : ArchitecturesWithoutDevice, loadNvrtc);
        if (!cudaAvailable)
        {
            output.WriteLine(compiled switch
            {
                CompileOutcome.Compiled => "CPU-only part passed.",
                CompileOutcome.NvrtcMissing => "CPU-only part FAILED: NVRTC is missing, so no kernel was compiled.",
                _ => "CPU-only part FAILED.",
            });
            if (wantCuda)
            {
                output.WriteLine($"FAILED: CUDA was asked for ('{device}') but is not usable here (exit {SelfTestExitCodes.GpuStackUnavailable}).");
                return SelfTestExitCodes.GpuStackUnavailable;
            }
            return compiled switch
            {
                CompileOutcome.Compiled => SelfTestExitCodes.Passed,
                CompileOutcome.NvrtcMissing => SelfTestExitCodes.GpuStackUnavailable,
                _ => SelfTestExitCodes.Failed,
            };
        }
        if (compiled == CompileOutcome.NvrtcMissing) return SelfTestExitCodes.GpuStackUnavailable;
        return (compiled == CompileOutcome.Compiled) & CompareKernels(ordinal, output) ? SelfTestExitCodes.Passed : SelfTestExitCodes.Failed;
    }

    private enum CompileOutcome { Compiled, Failed, NvrtcMissing }

    /// <summary>Compiles every kernel file for each of <paramref name="architectures"/> (null: the GPUs present, done by the backend).</summary>
    private static CompileOutcome CompileAll(TextWriter output, IReadOnlyList<int>? architectures,
        Func<(NvrtcCompiler? Compiler, string Reason)> loadNvrtc)
    {
        var (nvrtc, reason) = loadNvrtc();
        if (nvrtc is null)
        {
            // Not a pass: nothing was compiled, so nothing about the kernels is known.
            output.WriteLine($"NVRTC not found, kernels not compiled: {reason}");
            return CompileOutcome.NvrtcMissing;
        }
        output.WriteLine($"NVRTC {nvrtc.Version} ({nvrtc.Library.FileName}), targets sm_{nvrtc.SupportedArchitectures.Min()}…sm_{nvrtc.SupportedArchitectures.Max()}");
        if (architectures is null) return CompileOutcome.Compiled;

        var compiler = new KernelCompiler(nvrtc, new KernelCache(null));
        bool ok = true;
        foreach (int architecture in architectures)
        {
            var watch = Stopwatch.StartNew();
            var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
            // NVRTC programs are independent, so the files compile in parallel (the GPU check's time is short).
            Parallel.ForEach(KernelSources.FileNames, file =>
            {
                try
                {
                    compiler.Compile(KernelSources.Get(file), NvrtcOutputKind.Cubin, architecture, useCache: false);
                }
                catch (Exception e) when (e is NvrtcException or NotSupportedException)
                {
                    failures.Add(e.Message);
                }
            });
            output.WriteLine(failures.Count == 0
                ? $"  compiled {KernelSources.FileNames.Count} kernel files for sm_{architecture} in {watch.Elapsed.TotalSeconds:F1} s"
                : $"  sm_{architecture}: {failures.Count} kernel file(s) FAILED to compile:\n    {string.Join("\n    ", failures.Order(StringComparer.Ordinal))}");
            ok &= failures.Count == 0;
        }
        return ok ? CompileOutcome.Compiled : CompileOutcome.Failed;
    }

    /// <summary>The device's own copy bandwidth as the percentage reference, after printing it with the matmul and attention timings.</summary>
    private static BandwidthReference MeasureReference(CudaBackend gpu, TextWriter output)
    {
        try
        {
            var baseline = DeviceBaseline.Measure(gpu);
            output.WriteLine("baseline (timed with events, mean of 20 after a warm-up):");
            foreach (var line in baseline.Lines()) output.WriteLine(line);
            return baseline.Bandwidth;
        }
        catch (Exception e) when (e is CudaException or Native.Cublas.CublasException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            if (e is CudaDeviceFaultedException) throw;
            output.WriteLine($"baseline not measured ({e.Message}); percentages are of the H100's {ReferenceBandwidthGBs:F0} GB/s");
            return new BandwidthReference(ReferenceBandwidthGBs, "H100 copy (fallback)");
        }
    }

    private static bool CompareKernels(int ordinal, TextWriter output)
    {
        using var gpu = CudaBackend.Create(ordinal);
        var cpu = new CpuBackend();
        var d = gpu.Device;
        output.WriteLine($"device: {gpu.Name} {d.Name} (sm_{d.ComputeCapability}, {d.MultiprocessorCount} SMs, {d.TotalMemoryBytes / (1L << 30)} GiB, " +
                         $"peak {d.PeakMemoryBandwidth / 1e12:F2} TB/s, {d.GetAttribute(CudaDeviceAttribute.MaxSharedMemoryPerBlockOptin) / 1024} KiB shared memory per block after opting in), " +
                         $"driver {CudaDriver.Instance.Version} ({CudaDriver.Instance.Library.FileName})");
        output.WriteLine($"cuBLAS {gpu.CublasVersion} ({Native.Cublas.CublasLibrary.Load().FileName}); straight-through top-k up to {gpu.CudaKernels.TopKMaxCandidates} candidates per row");
        var reference = MeasureReference(gpu, output);
        output.WriteLine($"{"kernel",-34} {"shape",-44} {"max rel err",11} {"tolerance",9} {"result",-6} {"GB/s",8} {reference.ColumnHeader,14}");

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
                string bandwidth = r.GigabytesPerSecond is { } gbs ? $"{gbs,8:F1} {reference.Percent(gbs),13:F1}%" : $"{"",8} {"",14}";
                output.WriteLine($"{r.Kernel,-34} {r.Shape,-44} {r.MaxRelativeError,11:E2} {r.Tolerance,9:E0} {(r.Passed ? "pass" : "FAIL"),-6} {bandwidth}");
            }
        }
        output.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0;
    }
}
