using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;
using Clara.Engine.Training;

namespace Clara.Engine.Backends.Cpu;

/// <summary>One AdamW update on tensors: the shared rules, then the span twin <see cref="AdamW"/>.</summary>
internal static class CpuAdamW
{
    public static void Step(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, AdamWScalars scalars, float gradScale)
    {
        AdamWRules.Check(parameter, gradient, expAvg, expAvgSq, gradScale);
        AdamW.Step(CpuTensor.Span<float>(parameter), CpuTensor.Span<float>(gradient), CpuTensor.Span<float>(expAvg),
            CpuTensor.Span<float>(expAvgSq), scalars, gradScale);
    }
}
