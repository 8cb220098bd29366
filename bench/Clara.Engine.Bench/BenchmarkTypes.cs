using Clara.Engine.Bench.Kernels;
using Clara.Engine.Bench.Models;
using Clara.Engine.Bench.Training;

namespace Clara.Engine.Bench;

/// <summary>
/// Every benchmark class, listed by hand: the switcher gets types, not an assembly scan, so a trimmed publish keeps
/// exactly these (see the DynamicDependency roots in Program.cs).
/// </summary>
public static class BenchmarkTypes
{
    public static Type[] All { get; } =
    [
        typeof(MatMulBenchmarks),
        typeof(AttentionBenchmarks),
        typeof(RmsNormBenchmarks),
        typeof(RopeBenchmarks),
        typeof(SwiGluBenchmarks),
        typeof(CosineRerankBenchmarks),
        typeof(TopKBenchmarks),
        typeof(PrefillBenchmarks),
        typeof(DecodeBenchmarks),
        typeof(CompressionBenchmarks),
        typeof(AskBenchmarks),
        typeof(TrainingStepBenchmarks),
    ];
}
