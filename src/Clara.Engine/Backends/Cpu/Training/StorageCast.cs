using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu.Training;

/// <summary>
/// CPU twin of kernels/cast.cu: converts between F32, BF16 and F16 storage. Narrowing rounds to nearest
/// even; 16-bit ↔ 16-bit goes through fp32, which is exact for the widening half.
/// </summary>
public static class StorageCast
{
    public static void Convert(DType from, ReadOnlySpan<byte> source, DType to, Span<byte> destination)
    {
        Require(from, "source");
        Require(to, "destination");
        int count = source.Length / from.SizeOf();
        if (source.Length != count * from.SizeOf() || destination.Length != count * to.SizeOf())
            throw new ArgumentException($"cast: {source.Length} bytes of {from} do not match {destination.Length} bytes of {to}");
        if (from == to)
        {
            source.CopyTo(destination);
            return;
        }
        var wide = from == DType.F32 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(source).ToArray() : new float[count];
        if (from != DType.F32) IO.BulkConvert.ToFloat32(from, source, wide);
        IO.BulkConvert.FromFloat32(to, wide, destination);
    }

    private static void Require(DType type, string operand)
    {
        if (type is not (DType.F32 or DType.BF16 or DType.F16))
            throw new ArgumentException($"cast {operand} must be F32, BF16 or F16, got {type}");
    }
}
