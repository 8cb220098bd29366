using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// One y = alpha · x · Wᵀ + beta · y over raw pointers (validated by <see cref="CpuMatMul.Forward"/>). W is [N, K]
/// (HF [out, in]) unless <paramref name="weightKN"/>: then it is stored [K, N] (the product is x · W, as dX = dY · W
/// of a linear layer's backward), which only <see cref="BroadcastGemm"/> reads. A <see cref="DType.Q8_0"/> W is the
/// int8 values, with <paramref name="scales"/> its F16 block scales [N, K / 32].
/// </summary>
internal readonly unsafe struct Product(float* x, byte* w, DType weightType, float* y, int m, int n, int k, float alpha, float beta, bool weightKN = false,
    ushort* scales = null)
{
    public readonly float* X = x;
    public readonly byte* W = w;
    public readonly DType WeightType = weightType;
    public readonly float* Y = y;
    public readonly int M = m, N = n, K = k;
    public readonly float Alpha = alpha, Beta = beta;
    public readonly bool WeightKN = weightKN;
    public readonly ushort* Scales = scales;

    /// <summary>Widens <paramref name="count"/> weights of row <paramref name="row"/> from column <paramref name="column"/> into fp32.</summary>
    public void ReadWeights(int row, int column, int count, float* destination) => ReadStored((long)row * K + column, count, destination);

    /// <summary>Widens <paramref name="count"/> consecutive stored weights from element <paramref name="first"/> into fp32.</summary>
    public void ReadStored(long first, int count, float* destination)
    {
        var target = new Span<float>(destination, count);
        switch (WeightType)
        {
            case DType.F32:
                new ReadOnlySpan<float>((float*)W + first, count).CopyTo(target);
                break;
            case DType.BF16:
                IO.BulkConvert.BF16ToFloat32(new ReadOnlySpan<ushort>((ushort*)W + first, count), target);
                break;
            case DType.Q8_0:
                Q8Dequantizer.Read((sbyte*)W, Scales, first, count, destination);
                break;
            default:
                TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)W + first, count), target);
                break;
        }
    }

    /// <summary>y[index] ← alpha·dot + beta·y[index], without reading y when beta is 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(long index, float dot) => Y[index] = Beta == 0f ? Alpha * dot : Alpha * dot + Beta * Y[index];
}
