namespace Clara.Engine.Backends.Ops;

/// <summary>The operand rules of the elementwise ops <see cref="IKernels.SwiGlu"/> and <see cref="IKernels.Add"/>: F32 operands of one size.</summary>
public static class ElementwiseRules
{
    public static void CheckSwiGlu(Tensor gate, Tensor up, Tensor output)
    {
        OperandDTypes.RequireF32((gate, "swiglu gate"), (up, "swiglu up"), (output, "swiglu output"));
        if (!SameSize(gate, up, output))
            throw new ArgumentException($"swiglu shapes disagree: gate {gate.Shape}, up {up.Shape}, output {output.Shape}");
    }

    public static void CheckAdd(Tensor a, Tensor b, Tensor output)
    {
        OperandDTypes.RequireF32((a, "add a"), (b, "add b"), (output, "add output"));
        if (!SameSize(a, b, output)) throw new ArgumentException($"add shapes disagree: {a.Shape} + {b.Shape} -> {output.Shape}");
    }

    private static bool SameSize(Tensor a, Tensor b, Tensor c) => a.ElementCount == b.ElementCount && a.ElementCount == c.ElementCount;
}
