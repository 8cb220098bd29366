using System.CommandLine;
using BenchmarkDotNet.Running;
using Clara.CommandLine;
using Clara.Engine.Bench.Machine;
using Clara.Engine.Bench.Workloads;

namespace Clara.Engine.Bench;

/// <summary>
/// Entry point: <c>workload …</c>, <c>peaks …</c> and the other modes print JSON; anything else goes to BenchmarkDotNet
/// (e.g. <c>--filter *MatMul*</c>), in-process unless <c>--out-of-process</c> is given. <c>--threads N</c> sets the CPU
/// backend's threads, <c>--large</c> adds the 7B model to the model-level benchmarks, <c>--device</c> works in every mode.
/// </summary>
public static class BenchProgram
{
    public static int Run(string[] args) => CommandLineRunner.Run(CreateRoot(), "Clara.Engine.Bench", args, Console.Out, Console.Error);

    private static RootCommand CreateRoot()
    {
        var threads = Clara.CommandLine.Options.OptionalInt("--threads", "N", "CPU backend threads (default: all cores)", min: 1);
        var large = Clara.CommandLine.Options.Flag("--large", "also run the 7B shapes at model level");
        var outOfProcess = Clara.CommandLine.Options.Flag("--out-of-process", "BenchmarkDotNet's own processes (needs the .NET SDK)");
        var inProcess = Clara.CommandLine.Options.Flag("--in-process", "run in this process (the default)");
        var root = new RootCommand("Clara.Engine.Bench: BenchmarkDotNet benchmarks (any BenchmarkDotNet option, e.g. --filter '*MatMul*') and JSON workload modes")
        {
            BenchDevice.Option, threads, large, outOfProcess, inProcess,
            WorkloadCommand.Create(), Workloads.TrainCommand.Create(), ConcurrencyCommand.Create(), PeaksCommand.Create(), GemvCommand.Create(),
            Peers.LlamaCommand.CreateGguf(), Models.WeightsCommand.Create(), Peers.LlamaCommand.Create(), CheckCommand.Create(), TokenizerCommand.Create(),
            StreamDecodeCommand.Create(), Q8AccuracyCommand.Create(), Kernels.Q8GemvCommand.Create(), WorkersCommand.Create(),
        };
        // The words the root does not know are BenchmarkDotNet's options.
        root.TreatUnmatchedTokensAsErrors = false;
        root.WithAction(p =>
        {
            BenchSettings.Threads = p.GetValue(threads) ?? BenchSettings.Threads;
            BenchSettings.IncludeLargeModels = p.GetValue(large);
            return RunBenchmarkDotNet([.. p.UnmatchedTokens], inProcess: !p.GetValue(outOfProcess));
        });
        return root;
    }

    private static int RunBenchmarkDotNet(string[] args, bool inProcess)
    {
        var peaks = MachinePeaks.Current;
        Console.WriteLine($"machine peaks ({peaks.Threads} threads): FMA {peaks.FmaGflops:F1} GFLOP/s, DRAM read {peaks.ReadGBps:F1} GB/s, copy {peaks.CopyGBps:F1} GB/s");
        var summaries = BenchmarkSwitcher.FromTypes(BenchmarkTypes.All).Run(args, BenchConfig.Create(inProcess));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
