using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Q8_0 weights read as fp32 (<see cref="Q8Blocks"/>: F16 scale · int8 value), for the kernels that widen tiles of the
/// weight into fp32 panels (the blocked GEMM of prefill and large batches, the thin-weight kernel).
/// </summary>
internal static unsafe class Q8Dequantizer
{
    /// <summary>Widens <paramref name="count"/> values from flat element <paramref name="first"/> of a Q8_0 matrix.</summary>
    public static void Read(sbyte* values, ushort* scales, long first, int count, float* destination)
    {
        long e = first, end = first + count;
        while (e < end)
        {
            long blockEnd = Math.Min(end, (e / Q8Blocks.BlockSize + 1) * Q8Blocks.BlockSize);
            float d = F16Table.Value(scales[e / Q8Blocks.BlockSize]);
            float* dst = destination + (e - first);
            int n = (int)(blockEnd - e), c = 0;
            if (Vector256.IsHardwareAccelerated)
                for (; c + 8 <= n; c += 8)
                    (Vector256.ConvertToSingle(Vector256.WidenLower(Vector256.WidenLower(Vector128.CreateScalar(*(long*)(values + e + c)).AsSByte().ToVector256()))) * d)
                        .Store(dst + c);
            for (; c < n; c++) dst[c] = d * values[e + c];
            e = blockEnd;
        }
    }
}

/// <summary>
/// F16 → fp32 by a 65 536-entry table (256 KB; a model's scales use a few of its lines), as llama.cpp does where the
/// CPU has no conversion instruction: .NET exposes none (F16C), and the scale is read once per 32 weights.
/// </summary>
internal static class F16Table
{
    private static readonly float[] s_values = Build();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Value(ushort bits) => Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(s_values), bits);

    private static float[] Build()
    {
        var values = GC.AllocateUninitializedArray<float>(1 << 16, pinned: true);
        for (int i = 0; i < values.Length; i++) values[i] = FloatBits.F16ToFloat((ushort)i);
        return values;
    }
}
