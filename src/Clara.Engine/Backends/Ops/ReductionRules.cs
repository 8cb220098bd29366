using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Operand rules of the whole-tensor reductions <see cref="IKernels.Sum"/> and <see cref="IKernels.SumOfSquares"/>; returns the input's element count.</summary>
public static class ReductionRules
{
    public static long Check(Tensor input, Tensor output, string op)
    {
        OperandDTypes.RequireF32(input, $"{op} input");
        OperandDTypes.RequireF32(output, $"{op} output");
        if (output.ElementCount != 1) throw new ArgumentException($"{op} output {output.Shape} must hold exactly one value");
        return input.ElementCount;
    }
}
