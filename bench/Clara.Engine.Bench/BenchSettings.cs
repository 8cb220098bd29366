using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;

namespace Clara.Engine.Bench;

/// <summary>
/// Process-wide choices every benchmark reads: which backend, how many CPU threads. Benchmarks run in-process, so
/// the values set by the command line before the run are the ones the benchmark classes see.
/// </summary>
public static class BenchSettings
{
    /// <summary>CPU threads for the CPU backend and for the machine-peak measurements.</summary>
    public static int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>Makes the backend under test. The CPU backend by default; a GPU host registers its backend here.</summary>
    public static Func<IBackend> BackendFactory { get; set; } = () => new CpuBackend(Threads);

    /// <summary>Also run the 7B shapes at model level (on a CPU they need ~15 GB and minutes per case).</summary>
    public static bool IncludeLargeModels { get; set; }
}
