using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>Span access to tensors that live in host memory; the only place the CPU backend turns pointers into spans.</summary>
internal static unsafe class CpuTensor
{
    public static Span<T> Span<T>(Tensor tensor) where T : unmanaged
    {
        var buffer = tensor.Buffer as CpuBuffer
            ?? throw new ArgumentException($"tensor {tensor} is not in host memory");
        if (buffer.IsDisposed) throw new ObjectDisposedException(nameof(CpuBuffer), $"tensor {tensor.Shape} uses a released buffer");
        long count = tensor.ByteLength / sizeof(T);
        if (count > int.MaxValue) throw new NotSupportedException($"tensor {tensor.Shape} exceeds 2^31 elements");
        return new Span<T>(buffer.Pointer + tensor.ByteOffset, (int)count);
    }

    public static Span<float> F32(Tensor tensor, string operand)
    {
        Ops.OperandDTypes.RequireF32(tensor, operand);
        return Span<float>(tensor);
    }

    public static Span<int> I32(Tensor tensor, string operand)
    {
        Ops.OperandDTypes.RequireI32(tensor, operand);
        return Span<int>(tensor);
    }

    public static Span<byte> Bytes(Tensor tensor) => Span<byte>(tensor);
}
