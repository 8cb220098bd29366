using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;
using Clara.Engine.Training;

namespace Clara.Engine.Backends.Cpu;

/// <summary>One AdamW update on tensors: the shared rules, then the span twin <see cref="AdamW"/>.</summary>
internal static class CpuAdamW
{
    public static void Step(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, AdamWScalars scalars, float gradScale, int threads)
    {
        long count = AdamWRules.Check(parameter, gradient, expAvg, expAvgSq, gradScale);
        // Element-wise: threads take contiguous ranges (a whole model's flat store is one call).
        StaticPartition.Run((int)count, 1024, threads, 16.0 * count, (start, end) =>
            AdamW.Step(CpuTensor.Span<float>(parameter)[start..end], CpuTensor.Span<float>(gradient)[start..end],
                CpuTensor.Span<float>(expAvg)[start..end], CpuTensor.Span<float>(expAvgSq)[start..end], scalars, gradScale));
    }
}
