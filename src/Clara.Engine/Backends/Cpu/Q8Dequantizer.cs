using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Q8_0 weights read as fp32 (<see cref="Q8Blocks"/>: F16 scale · int8 value), for the kernels that widen tiles of the
/// weight into fp32 panels (the blocked GEMM of prefill and large batches, the thin-weight kernel).
/// </summary>
internal static unsafe class Q8Dequantizer
{
    private const int Block = Q8Blocks.BlockSize;

    /// <summary>Widens <paramref name="count"/> values from flat element <paramref name="first"/> of a Q8_0 matrix.</summary>
    public static void Read(sbyte* values, ushort* scales, long first, int count, float* destination)
    {
        long e = first, end = first + count;
        while (e < end)
        {
            long block = e / Block;
            float* dst = destination + (e - first);
            if (e == block * Block && end - e >= Block)
            {
                int whole = (int)((end - e) / Block);
                ReadBlocks(values + e, scales + block, whole, dst);
                e += (long)whole * Block;
                continue;
            }
            long blockEnd = Math.Min(end, (block + 1) * Block);
            float d = F16Table.Value(scales[block]);
            for (long c = e; c < blockEnd; c++) dst[c - e] = d * values[c];
            e = blockEnd;
        }
    }

    /// <summary>
    /// <paramref name="blocks"/> whole consecutive blocks (values and their scales) to fp32. With
    /// <paramref name="aheadValues"/>, the blocks that far ahead are prefetched as these are read (a line per two blocks
    /// of values, one per 32 scales): a caller that dequantises four short rows at a time (decode batches) streamed them
    /// 20 % slower without it (q8-gemv, batch 16: 48 against 41 ms per small-125m step on one thread).
    /// </summary>
    public static void ReadBlocks(sbyte* values, ushort* scales, int blocks, float* destination, sbyte* aheadValues = null, ushort* aheadScales = null)
    {
        for (int b = 0; b < blocks; b++)
        {
            if (aheadValues != null)
            {
                if ((b & 1) == 0) Sse.Prefetch0(aheadValues + (long)b * Block);
                if ((b & 31) == 0) Sse.Prefetch0(aheadScales + b);
            }
            float d = F16Table.Value(scales[b]);
            sbyte* w = values + (long)b * Block;
            float* o = destination + (long)b * Block;
            if (Avx2.IsSupported)
            {
                var scale = Vector256.Create(d);
                (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w)) * scale).Store(o);
                (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w + 8)) * scale).Store(o + 8);
                (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w + 16)) * scale).Store(o + 16);
                (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(w + 24)) * scale).Store(o + 24);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                for (int c = 0; c < Block; c += 8)
                    (Vector256.ConvertToSingle(Vector256.WidenLower(Vector256.WidenLower(Vector128.CreateScalar(*(long*)(w + c)).AsSByte().ToVector256()))) * d)
                        .Store(o + c);
            }
            else
            {
                for (int c = 0; c < Block; c++) o[c] = d * w[c];
            }
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
