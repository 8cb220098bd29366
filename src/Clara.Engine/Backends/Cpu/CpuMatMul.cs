using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of the cuBLAS products: y[m, n] = alpha · Σ_k x[m, k] · W[n, k] + beta · y[m, n], fp32 accumulation
/// (beta = 0 never reads y). W keeps the HF [out, in] layout and may be stored F32, BF16, F16 or Q8_0. Up to 16 input
/// rows (decode) stream every weight from memory once through <see cref="WeightStreamingGemv"/> (Q8_0:
/// <see cref="Q8StreamedGemv"/>); more rows through Q8_0 weights go to <see cref="Q8VnniGemm"/> where the CPU has
/// AVX-VNNI; a thin weight (a LoRA factor: N or K at most <see cref="ThinLimit"/>) is transposed chunk by chunk and
/// multiplied by <see cref="ThinGemm"/>; everything else goes through the cache-blocked <see cref="BroadcastGemm"/>.
/// </summary>
internal static unsafe class CpuMatMul
{
    /// <summary>
    /// Up to this many input rows (decoding, batched or not) the product is a weight stream, bound by memory
    /// bandwidth: each weight is read from memory once and reused from L1/L2 for the other rows.
    /// </summary>
    public const int GemvMaxRows = 16;

    /// <summary>A weight with at most this many rows or columns is cheap to transpose whole.</summary>
    public const int ThinLimit = 64;

    public static void Forward(Tensor input, Tensor weight, Tensor output, float alpha, float beta, int threads)
    {
        var (m, n, k) = MatMulRules.Check(input, weight, output);
        if (m == 0 || n == 0) return;
        if (m > int.MaxValue / Math.Max(1, k)) throw new NotSupportedException($"matmul input {input.Shape} exceeds 2^31 elements");

        ushort* scales = weight.BlockScales is { } s ? (ushort*)Pointer(s) : null;
        Multiply(new Product(
            (float*)Pointer(input), Pointer(weight), weight.DType, (float*)Pointer(output), (int)m, n, k, alpha, beta, scales: scales), threads);
    }

    /// <summary>Runs a checked product on the kernel that suits its shape (also the last step of <see cref="CpuGemm"/>).</summary>
    public static void Multiply(Product product, int threads)
    {
        if (product.M == 0 || product.N == 0) return;
        int m = product.M, n = product.N, k = product.K;
        if (product.WeightKN)
        {
            // Only the cache-blocked kernel reads a [K, N] weight (CpuGemm sends it no other shape).
            if (!BroadcastGemm.TakesWeightKN(m, n, k)) throw new InvalidOperationException($"a [K, N] weight needs the blocked kernel, not {m}×{n}×{k}");
            BroadcastGemm.Run(product, threads);
            return;
        }
        // Q8_0 decoding streams the int8 blocks.
        if (product.WeightType == DType.Q8_0 && m <= GemvMaxRows && Q8StreamedGemv.IsSupported)
        {
            Q8StreamedGemv.Run(product, threads);
            return;
        }
        // Larger Q8_0 products (prefill) multiply int8 by int8 where the CPU has AVX-VNNI; elsewhere they dequantise below.
        if (product.WeightType == DType.Q8_0 && Q8VnniGemm.Takes(m, n, k))
        {
            Q8VnniGemm.Run(product, threads);
            return;
        }
        // Thin weights go to ThinGemm from three rows on: below that its transpose costs more than the products.
        if (m <= 2) WeightStreamingGemv.Run(product, threads);
        else if (n <= ThinLimit || k <= ThinLimit) ThinGemm.Run(product, threads);
        else if (m <= GemvMaxRows) WeightStreamingGemv.Run(product, threads);
        else BroadcastGemm.Run(product, threads);
    }

    /// <summary>The CPU buffer's native memory; <see cref="CpuTensor.Bytes"/> has checked the buffer is alive and large enough.</summary>
    internal static byte* Pointer(Tensor tensor) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(CpuTensor.Bytes(tensor)));
}
