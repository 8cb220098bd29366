using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>
/// The dtype rules every op's rules type is made of, worded once so a refused operand reads the same on every
/// backend. Activations and gradients are F32, indices I32, weight-like operands F32, BF16 or F16.
/// </summary>
public static class Operand
{
    public static void Require(Tensor tensor, DType dtype, string operand)
    {
        if (tensor.DType != dtype)
            throw new ArgumentException($"{operand} must be {dtype}, got {tensor.DType}{tensor.Shape}");
    }

    public static void RequireF32(Tensor tensor, string operand) => Require(tensor, DType.F32, operand);

    /// <summary>Several F32 operands, checked in order.</summary>
    public static void RequireF32(params ReadOnlySpan<(Tensor Tensor, string Name)> operands)
    {
        foreach (var (tensor, name) in operands) Require(tensor, DType.F32, name);
    }

    public static void RequireI32(Tensor tensor, string operand) => Require(tensor, DType.I32, operand);

    /// <summary>A weight-like operand: any storage the kernels widen to fp32.</summary>
    public static void RequireFloatStorage(Tensor weight, string operand)
    {
        if (weight.DType is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"{operand} must be F32, BF16 or F16, got {weight.DType}{weight.Shape}");
    }

    /// <summary>True when the two views share bytes of one buffer.</summary>
    public static bool Overlap(Tensor a, Tensor b) =>
        ReferenceEquals(a.Buffer, b.Buffer) && a.ByteOffset < b.ByteOffset + b.ByteLength && b.ByteOffset < a.ByteOffset + a.ByteLength;
}
