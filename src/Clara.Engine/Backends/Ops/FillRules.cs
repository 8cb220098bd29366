using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Operand rules of <see cref="IKernels.Fill"/>; returns the element count.</summary>
public static class FillRules
{
    public static long Check(Tensor output)
    {
        OperandDTypes.RequireF32(output, "fill output");
        return output.ElementCount;
    }
}
