using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twins of <see cref="IKernels.Sum"/> and <see cref="IKernels.SumOfSquares"/>: vectorised fp32 sums over chunks
/// small enough to stay accurate, added up in double, so a loss or a gradient norm over millions of values does
/// not drift with the element count.
/// </summary>
internal static class CpuReductions
{
    private const int Chunk = 1024;

    public static void Sum(Tensor input, float scale, Tensor output)
    {
        ReductionRules.Check(input, output, "sum");
        CpuTensor.Span<float>(output)[0] = (float)(scale * SumInDouble(CpuTensor.Span<float>(input)));
    }

    /// <summary>Σ values: vectorised fp32 sums of chunks, the chunk sums added in double.</summary>
    public static double SumInDouble(ReadOnlySpan<float> values) => Accumulate(values, static chunk => TensorPrimitives.Sum(chunk));

    public static void SumOfSquares(Tensor input, Tensor output)
    {
        ReductionRules.Check(input, output, "sum-of-squares");
        double total = Accumulate(CpuTensor.Span<float>(input), static chunk => TensorPrimitives.SumOfSquares(chunk));
        CpuTensor.Span<float>(output)[0] = (float)total;
    }

    private static double Accumulate(ReadOnlySpan<float> values, ChunkSum sum)
    {
        double total = 0;
        for (int i = 0; i < values.Length; i += Chunk) total += sum(values.Slice(i, Math.Min(Chunk, values.Length - i)));
        return total;
    }

    private delegate float ChunkSum(ReadOnlySpan<float> chunk);
}
