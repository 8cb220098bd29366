using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>The dtype checks every rules type shares, so both backends word a wrong operand type the same way.</summary>
public static class OperandDTypes
{
    public static void RequireF32(Tensor tensor, string operand) => Require(tensor, DType.F32, operand);

    /// <summary>Several F32 operands, checked in order.</summary>
    public static void RequireF32(params ReadOnlySpan<(Tensor Tensor, string Name)> operands)
    {
        foreach (var (tensor, name) in operands) Require(tensor, DType.F32, name);
    }

    public static void RequireI32(Tensor tensor, string operand) => Require(tensor, DType.I32, operand);

    /// <summary>Weight-like operands: any float storage the kernels widen to fp32.</summary>
    public static void RequireFloatStorage(Tensor tensor, string operand)
    {
        ArgumentNullException.ThrowIfNull(tensor, operand);
        if (tensor.DType is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"{operand} must be F32, BF16 or F16, got {tensor.DType}{tensor.Shape}");
    }

    public static void RequireSameCount(Tensor tensor, long count, string operand, string reference)
    {
        if (tensor.ElementCount != count)
            throw new ArgumentException($"{operand} {tensor.Shape} has {tensor.ElementCount} elements, {reference} has {count}");
    }

    public static void Require(Tensor tensor, DType dtype, string operand)
    {
        ArgumentNullException.ThrowIfNull(tensor, operand);
        if (tensor.DType != dtype)
            throw new ArgumentException($"{operand} must be {dtype}, got {tensor.DType}{tensor.Shape}");
    }

    /// <summary>True when the two views share bytes of one buffer.</summary>
    public static bool Overlap(Tensor a, Tensor b) =>
        ReferenceEquals(a.Buffer, b.Buffer) && a.ByteOffset < b.ByteOffset + b.ByteLength && b.ByteOffset < a.ByteOffset + a.ByteLength;
}
