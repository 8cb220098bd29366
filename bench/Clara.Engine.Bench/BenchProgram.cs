using BenchmarkDotNet.Running;
using Clara.Engine.Bench.Machine;
using Clara.Engine.Bench.Workloads;

namespace Clara.Engine.Bench;

/// <summary>
/// Entry point: <c>workload …</c> and <c>peaks …</c> print JSON; anything else goes to BenchmarkDotNet (e.g.
/// <c>--filter *MatMul*</c>), in-process unless <c>--out-of-process</c> is given. <c>--threads N</c> sets the CPU
/// backend's threads, <c>--large</c> adds the 7B model to the model-level benchmarks.
/// </summary>
public static class BenchProgram
{
    public static int Run(string[] args)
    {
        try
        {
            args = TakeDevice(args);
            if (args.Length > 0 && args[0] == "workload") return WorkloadCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] == "train") return TrainCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] == "concurrency") return ConcurrencyCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] == "peaks") return PeaksCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] == "gguf") return Peers.LlamaCommand.WriteGguf(args[1..]);
            if (args.Length > 0 && args[0] == "llama") return Peers.LlamaCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] == "check") return CheckCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] == "tokenizer") return TokenizerCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] == "stream-decode") return StreamDecodeCommand.Run(args[1..]);
            if (args.Length > 0 && args[0] is "-h" or "--help" or "help")
            {
                Console.WriteLine(Help);
                return 0;
            }
            return RunBenchmarkDotNet(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 2;
        }
        catch (DllNotFoundException e)
        {
            // --device cuda on a machine without the driver: the loader's message lists what it tried.
            Console.Error.WriteLine("error: " + e.Message);
            return 3;
        }
    }

    /// <summary>"--device cpu|cuda|cuda:N" (any mode): every benchmark then runs on that backend.</summary>
    private static string[] TakeDevice(string[] args)
    {
        int at = Array.IndexOf(args, "--device");
        if (at < 0) return args;
        if (at + 1 >= args.Length) throw new ArgumentException("--device needs a value (cpu, cuda or cuda:N)");
        string device = args[at + 1];
        BenchSettings.BackendFactory = () => Clara.Engine.Backends.BackendFactory.Create(device, BenchSettings.Threads);
        return [.. args[..at], .. args[(at + 2)..]];
    }

    private static int RunBenchmarkDotNet(string[] args)
    {
        var rest = new List<string>();
        bool inProcess = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--out-of-process": inProcess = false; break;
                case "--in-process": inProcess = true; break;
                case "--large": BenchSettings.IncludeLargeModels = true; break;
                case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int threads) && threads > 0:
                    BenchSettings.Threads = threads;
                    i++;
                    break;
                default: rest.Add(args[i]); break;
            }
        }
        var peaks = MachinePeaks.Current;
        Console.WriteLine($"machine peaks ({peaks.Threads} threads): FMA {peaks.FmaGflops:F1} GFLOP/s, DRAM read {peaks.ReadGBps:F1} GB/s, copy {peaks.CopyGBps:F1} GB/s");
        var summaries = BenchmarkSwitcher.FromTypes(BenchmarkTypes.All).Run(rest.ToArray(), BenchConfig.Create(inProcess));
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }

    public const string Help =
        "Clara.Engine.Bench\n" +
        "  <BenchmarkDotNet options>   e.g. --filter '*MatMul*' (in-process; --out-of-process needs the .NET SDK)\n" +
        "      [--threads N] [--large] [--device cpu|cuda|cuda:N]   (--device works in every mode)\n" +
        "  " + WorkloadCommand.Usage + "\n" +
        "  " + TrainCommand.Usage + "\n" +
        "  " + ConcurrencyCommand.Usage + "\n" +
        "  " + PeaksCommand.Usage + "\n" +
        "  " + TokenizerCommand.Usage + "\n" +
        "  " + StreamDecodeCommand.Usage + "\n" +
        "  check [--threads N]   (CPU matmul against a float64 loop over awkward shapes)";
}
