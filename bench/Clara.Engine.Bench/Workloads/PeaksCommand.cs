using System.CommandLine;
using Clara.CommandLine;
using Clara.Engine.Bench.Kernels;
using Clara.Engine.Bench.Machine;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Workloads;

/// <summary>
/// <c>peaks</c>: the machine's measured ceilings (fp32 FMA, DRAM read and copy bandwidth) and the engine's own large
/// fp32 matmul, as one JSON object. Example: <c>peaks --threads 2 --matmul 2048</c>.
/// </summary>
public static class PeaksCommand
{
    private static readonly Option<int?> ThreadsOption = BenchOptions.Threads();
    private static readonly Option<int> MatMulOption = Options.Int("--matmul", "SIZE", 2048, "the square fp32 matmul's size", min: 1);
    private static readonly Option<int> RepeatOption = Options.Int("--repeat", "N", 5, "timed runs", min: 1);

    public static Command Create() =>
        new Command("peaks", "the machine's fp32 FMA and DRAM ceilings and the engine's large fp32 matmul, as one JSON object")
        {
            ThreadsOption, MatMulOption, RepeatOption,
        }.WithAction(Run);

    private static int Run(ParseResult p)
    {
        BenchSettings.Threads = p.GetValue(ThreadsOption) ?? BenchSettings.Threads;
        int size = p.GetValue(MatMulOption);
        int repeat = p.GetValue(RepeatOption);

        var peaks = MachinePeaks.Measure(BenchSettings.Threads, repeat);
        using var backend = BenchSettings.BackendFactory();
        using var tensors = new BenchTensors(backend);
        var x = tensors.Random(DType.F32, 1f, size, size);
        var w = tensors.Random(DType.F32, 1f, size, size);
        var y = tensors.Zeros(DType.F32, size, size);
        var timing = Timing.Measure(repeat, () =>
        {
            backend.Kernels.MatMul(x, w, y);
            backend.Synchronize();
        });
        double flops = 2.0 * size * size * size;
        JsonReport.Print(j =>
        {
            j.WriteNumber("threads", peaks.Threads);
            j.WriteNumber("fma_gflops", peaks.FmaGflops);
            j.WriteNumber("read_gbps", peaks.ReadGBps);
            j.WriteNumber("copy_gbps", peaks.CopyGBps);
            j.WriteStartObject("matmul");
            j.WriteString("backend", backend.Name);
            j.WriteNumber("size", size);
            j.WriteNumber("gflops", flops / timing.BestSeconds / 1e9);
            j.WriteNumber("gflops_median", flops / timing.MedianSeconds / 1e9);
            j.WriteNumber("percent_fma_peak", 100 * flops / timing.BestSeconds / 1e9 / peaks.FmaGflops);
            j.WriteEndObject();
        });
        return 0;
    }
}
