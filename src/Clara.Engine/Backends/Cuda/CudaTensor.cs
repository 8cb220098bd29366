using Clara.Engine.Native.Cuda;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Checks that a tensor lives on a given CUDA backend with the expected dtype, and yields its device address.</summary>
internal static class CudaTensor
{
    public static DevicePointer Pointer(Tensor tensor, CudaBackend backend, string operand)
    {
        if (tensor.Buffer is not CudaBuffer buffer || !ReferenceEquals(buffer.Backend, backend))
            throw new ArgumentException($"{operand} {tensor} is not on {backend.Name}");
        if (buffer.IsDisposed) throw new ObjectDisposedException(operand, $"{operand} {tensor.Shape} uses a released buffer");
        return buffer.Pointer + tensor.ByteOffset;
    }

    public static DevicePointer F32(Tensor tensor, CudaBackend backend, string operand) => Typed(tensor, DType.F32, backend, operand);

    public static DevicePointer I32(Tensor tensor, CudaBackend backend, string operand) => Typed(tensor, DType.I32, backend, operand);

    public static DevicePointer Typed(Tensor tensor, DType dtype, CudaBackend backend, string operand)
    {
        Ops.OperandDTypes.Require(tensor, dtype, operand);
        return Pointer(tensor, backend, operand);
    }

    /// <summary>The entry-point suffix of a weight-like operand's storage type ("f32", "bf16", "f16").</summary>
    public static string StorageSuffix(Tensor weight, string operand)
    {
        Ops.OperandDTypes.RequireFloatStorage(weight, operand);
        return weight.DType switch
        {
            DType.F32 => "f32",
            DType.BF16 => "bf16",
            _ => "f16",
        };
    }

    /// <summary>Element count as an int, for kernels that index with 32-bit integers.</summary>
    public static int IntCount(long count, string what) =>
        count <= int.MaxValue ? (int)count : throw new NotSupportedException($"{what} has {count} elements; the kernels index rows with 32-bit integers");

    public static void RequireSameCount(Tensor a, Tensor b, string what)
    {
        if (a.ElementCount != b.ElementCount)
            throw new ArgumentException($"{what}: {a.Shape} and {b.Shape} differ in size");
    }
}
