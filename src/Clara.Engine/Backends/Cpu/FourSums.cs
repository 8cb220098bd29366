using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// The decode GEMVs' epilogue: the lane partial sums of one input row against four weight rows, reduced together by
/// horizontal adds (cheaper than four separate sums), and stored to four consecutive outputs.
/// </summary>
internal static class FourSums
{
    /// <summary>[Σs0, Σs1, Σs2, Σs3]: three horizontal adds and one add.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Reduce(Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
    {
        var pairs = Avx.HorizontalAdd(Avx.HorizontalAdd(s0, s1), Avx.HorizontalAdd(s2, s3));
        return pairs.GetLower() + pairs.GetUpper();
    }

    /// <summary>[Σs0, Σs1, Σs2, Σs3] of 16-lane sums: each one's halves added first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Reduce(Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3) =>
        Reduce(s0.GetLower() + s0.GetUpper(), s1.GetLower() + s1.GetUpper(), s2.GetLower() + s2.GetUpper(), s3.GetLower() + s3.GetUpper());

    /// <summary>y[input, n .. n + 3] ← the four sums (with the product's alpha and beta).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(in Product p, int input, int n, Vector128<float> sums)
    {
        long first = (long)input * p.N + n;
        p.Store(first, sums.GetElement(0));
        p.Store(first + 1, sums.GetElement(1));
        p.Store(first + 2, sums.GetElement(2));
        p.Store(first + 3, sums.GetElement(3));
    }
}
