using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Operand rules of <see cref="IKernels.AddScaled"/>; returns the element count.</summary>
public static class AddScaledRules
{
    public static long Check(Tensor a, Tensor b, Tensor output)
    {
        OperandDTypes.RequireF32(a, "add-scaled a");
        OperandDTypes.RequireF32(b, "add-scaled b");
        OperandDTypes.RequireF32(output, "add-scaled output");
        OperandDTypes.RequireSameCount(b, a.ElementCount, "add-scaled b", "a");
        OperandDTypes.RequireSameCount(output, a.ElementCount, "add-scaled output", "a");
        return a.ElementCount;
    }
}
