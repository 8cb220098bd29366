using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Clara.Engine.Tensors;

namespace Clara.Engine.IO;

/// <summary>
/// Vectorised whole-buffer conversions between storage dtypes and fp32, used when loading and writing weights.
/// Results are bit-identical to the scalar conversions in <see cref="FloatBits"/> (bf16 rounds to nearest even,
/// NaN stays NaN). Spans may be unaligned: safetensors data is only as aligned as the file's header makes it.
/// </summary>
public static class BulkConvert
{
    /// <summary>bf16 → fp32: bf16 is the top half of an fp32, so widening to 32 bits and shifting left by 16 is exact.</summary>
    public static void BF16ToFloat32(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        RequireRoom(source.Length, destination.Length);
        int done = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sourceVectors = MemoryMarshal.Cast<ushort, Vector<ushort>>(source);
            var destinationVectors = MemoryMarshal.Cast<float, Vector<float>>(destination);
            for (int v = 0; v < sourceVectors.Length; v++)
            {
                Vector.Widen(sourceVectors[v], out Vector<uint> low, out Vector<uint> high);
                destinationVectors[2 * v] = Vector.AsVectorSingle(Vector.ShiftLeft(low, 16));
                destinationVectors[2 * v + 1] = Vector.AsVectorSingle(Vector.ShiftLeft(high, 16));
            }
            done = sourceVectors.Length * Vector<ushort>.Count;
        }
        for (int i = done; i < source.Length; i++) destination[i] = FloatBits.BF16ToFloat(source[i]);
    }

    /// <summary>fp32 → bf16 with round-to-nearest-even; NaNs keep their sign and top payload bits and are forced quiet.</summary>
    public static void Float32ToBF16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        RequireRoom(source.Length, destination.Length);
        int done = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sourceVectors = MemoryMarshal.Cast<float, Vector<float>>(source);
            var destinationVectors = MemoryMarshal.Cast<ushort, Vector<ushort>>(destination);
            int pairs = sourceVectors.Length / 2;
            for (int v = 0; v < pairs; v++)
            {
                destinationVectors[v] = Vector.Narrow(
                    RoundToBF16Bits(sourceVectors[2 * v]), RoundToBF16Bits(sourceVectors[2 * v + 1]));
            }
            done = pairs * Vector<ushort>.Count;
        }
        for (int i = done; i < source.Length; i++) destination[i] = FloatBits.FloatToBF16(source[i]);
    }

    /// <summary>The bf16 bit pattern of each lane in the low 16 bits of a uint lane (same rule as <see cref="FloatBits.FloatToBF16"/>).</summary>
    private static Vector<uint> RoundToBF16Bits(Vector<float> values)
    {
        var bits = Vector.AsVectorUInt32(values);
        var top = Vector.ShiftRightLogical(bits, 16);
        var rounded = Vector.ShiftRightLogical(bits + new Vector<uint>(0x7FFF) + (top & Vector<uint>.One), 16);
        var quietNaN = top | new Vector<uint>(0x40);
        var isNaN = ~Vector.AsVectorUInt32(Vector.Equals(values, values));
        return Vector.ConditionalSelect(isNaN, quietNaN, rounded);
    }

    public static void F16ToFloat32(ReadOnlySpan<Half> source, Span<float> destination)
    {
        RequireRoom(source.Length, destination.Length);
        TensorPrimitives.ConvertToSingle(source, destination[..source.Length]);
    }

    public static void Float32ToF16(ReadOnlySpan<float> source, Span<Half> destination)
    {
        RequireRoom(source.Length, destination.Length);
        TensorPrimitives.ConvertToHalf(source, destination[..source.Length]);
    }

    /// <summary>f64 → fp32 rounding to nearest, as a C cast does.</summary>
    public static void F64ToFloat32(ReadOnlySpan<double> source, Span<float> destination)
    {
        RequireRoom(source.Length, destination.Length);
        int done = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var sourceVectors = MemoryMarshal.Cast<double, Vector<double>>(source);
            var destinationVectors = MemoryMarshal.Cast<float, Vector<float>>(destination);
            int pairs = sourceVectors.Length / 2;
            for (int v = 0; v < pairs; v++)
                destinationVectors[v] = Vector.Narrow(sourceVectors[2 * v], sourceVectors[2 * v + 1]);
            done = pairs * Vector<float>.Count;
        }
        for (int i = done; i < source.Length; i++) destination[i] = (float)source[i];
    }

    /// <summary>Converts raw little-endian storage bytes of a float dtype (F32, BF16, F16, F64) to fp32.</summary>
    public static void ToFloat32(DType type, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (type)
        {
            case DType.F32:
                var floats = MemoryMarshal.Cast<byte, float>(source);
                RequireRoom(floats.Length, destination.Length);
                floats.CopyTo(destination);
                break;
            case DType.BF16: BF16ToFloat32(MemoryMarshal.Cast<byte, ushort>(source), destination); break;
            case DType.F16: F16ToFloat32(MemoryMarshal.Cast<byte, Half>(source), destination); break;
            case DType.F64: F64ToFloat32(MemoryMarshal.Cast<byte, double>(source), destination); break;
            default: throw new NotSupportedException($"{type.SafetensorsName()} is not a float storage dtype");
        }
    }

    /// <summary>Converts fp32 values to the storage bytes of F32, BF16 or F16.</summary>
    public static void FromFloat32(DType type, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (type)
        {
            case DType.F32:
                RequireRoom((long)source.Length * sizeof(float), destination.Length);
                MemoryMarshal.AsBytes(source).CopyTo(destination);
                break;
            case DType.BF16: Float32ToBF16(source, MemoryMarshal.Cast<byte, ushort>(destination)); break;
            case DType.F16: Float32ToF16(source, MemoryMarshal.Cast<byte, Half>(destination)); break;
            default: throw new NotSupportedException($"cannot store fp32 values as {type.SafetensorsName()}");
        }
    }

    private static void RequireRoom(long needed, long available)
    {
        if (available < needed)
            throw new ArgumentException($"destination holds {available} elements but the source has {needed}", "destination");
    }
}
