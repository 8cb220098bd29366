using Clara.Engine.Bench.Columns;
using Clara.Engine.Tensors;

namespace Clara.Engine.Bench.Models;

/// <summary>One model-level case: a named random model, its weight storage and the workload's shape and size.</summary>
public sealed record ModelCase(string Model, DType WeightType, string Shape, WorkSize Work) : IHasWorkSize
{
    /// <summary>The models every model-level benchmark runs (the 7B one only when asked: it needs ~15 GB).</summary>
    public static IEnumerable<string> Models => BenchSettings.IncludeLargeModels ? ["tiny", "small-125m", "mistral-7b"] : ["tiny", "small-125m"];

    public static IEnumerable<DType> WeightTypes => [DType.BF16, DType.F32];

    public override string ToString() => $"{Model} {WeightType} {Shape}";
}
