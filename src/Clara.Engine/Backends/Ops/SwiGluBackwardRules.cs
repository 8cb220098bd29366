using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>Operand rules of <see cref="IKernels.SwiGluBackward"/>; returns the element count.</summary>
public static class SwiGluBackwardRules
{
    public static long Check(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp)
    {
        OperandDTypes.RequireF32(gate, "swiglu-backward gate");
        OperandDTypes.RequireF32(up, "swiglu-backward up");
        OperandDTypes.RequireF32(gradOutput, "swiglu-backward gradOutput");
        OperandDTypes.RequireF32(gradGate, "swiglu-backward gradGate");
        OperandDTypes.RequireF32(gradUp, "swiglu-backward gradUp");
        long n = gate.ElementCount;
        string reference = $"gate {gate.Shape}";
        OperandDTypes.RequireSameCount(up, n, "swiglu-backward up", reference);
        OperandDTypes.RequireSameCount(gradOutput, n, "swiglu-backward gradOutput", reference);
        OperandDTypes.RequireSameCount(gradGate, n, "swiglu-backward gradGate", reference);
        OperandDTypes.RequireSameCount(gradUp, n, "swiglu-backward gradUp", reference);
        return n;
    }
}
