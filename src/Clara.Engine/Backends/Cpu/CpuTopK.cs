using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>The §4 straight-through top-k on tensors: the shared rules, then the span twin <see cref="StraightThroughTopK"/>.</summary>
internal static class CpuTopK
{
    public static void Forward(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices)
    {
        var shape = TopKRules.Check(scores, k, temperature, hard, soft, indices);
        StraightThroughTopK.Forward(CpuTensor.Span<float>(scores), shape.Count, shape.K, temperature,
            CpuTensor.Span<float>(hard), CpuTensor.Span<float>(soft), CpuTensor.Span<int>(indices));
    }

    public static void Backward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores)
    {
        var shape = TopKRules.CheckBackward(soft, gradWeights, temperature, gradScores);
        StraightThroughTopK.Backward(CpuTensor.Span<float>(soft), CpuTensor.Span<float>(gradWeights), shape.Count, shape.K, temperature,
            CpuTensor.Span<float>(gradScores));
    }
}
