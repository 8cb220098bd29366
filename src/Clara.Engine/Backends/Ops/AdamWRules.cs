using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Operand rules of <see cref="IKernels.AdamWStep"/>; returns the element count.</summary>
public static class AdamWRules
{
    public static long Check(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, float gradScale)
    {
        OperandDTypes.RequireF32(parameter, "adamw parameter");
        OperandDTypes.RequireF32(gradient, "adamw gradient");
        OperandDTypes.RequireF32(expAvg, "adamw expAvg");
        OperandDTypes.RequireF32(expAvgSq, "adamw expAvgSq");
        long n = parameter.ElementCount;
        string reference = $"parameter {parameter.Shape}";
        OperandDTypes.RequireSameCount(gradient, n, "adamw gradient", reference);
        OperandDTypes.RequireSameCount(expAvg, n, "adamw expAvg", reference);
        OperandDTypes.RequireSameCount(expAvgSq, n, "adamw expAvgSq", reference);
        if (!float.IsFinite(gradScale)) throw new ArgumentOutOfRangeException(nameof(gradScale), $"adamw gradScale {gradScale} must be finite");
        return n;
    }
}
