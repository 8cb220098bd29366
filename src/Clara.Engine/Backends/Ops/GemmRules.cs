using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>The matrix sizes of one <see cref="IKernels.Gemm"/>: output [M, N] = op(a) [M, K] · op(b) [K, N].</summary>
public readonly record struct GemmShape(int M, int N, int K);

/// <summary>
/// Operand rules of <see cref="IKernels.Gemm"/>. Every operand is seen as a matrix [rows, last dimension] (so a
/// [batch, T, hidden] activation is [batch·T, hidden]); a transposed operand is read as the transpose of that matrix.
/// </summary>
public static class GemmRules
{
    public static GemmShape Check(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor output)
    {
        OperandDTypes.RequireF32(a, "gemm a");
        // Gemm is the backward's product (dX = dY · W): the forward reads Q8_0 weights, training through them is not built.
        if (b.DType == DType.Q8_0)
            throw new NotSupportedException($"gemm b {b.Shape} is Q8_0: training through Q8_0 weights is not supported; convert the model to bf16 or f32 to train it");
        OperandDTypes.RequireFloatStorage(b, "gemm b");
        OperandDTypes.RequireF32(output, "gemm output");
        var (aRows, aColumns) = Matrix(a, "gemm a");
        var (bRows, bColumns) = Matrix(b, "gemm b");
        var (outRows, outColumns) = Matrix(output, "gemm output");
        int m = transposeA ? aColumns : aRows, k = transposeA ? aRows : aColumns;
        int bk = transposeB ? bColumns : bRows, n = transposeB ? bRows : bColumns;
        if (bk != k)
            throw new ArgumentException(
                $"gemm b {b.Shape}{(transposeB ? "ᵀ" : "")} has {bk} rows of the product, a {a.Shape}{(transposeA ? "ᵀ" : "")} gives {k}");
        if (outRows != m || outColumns != n)
            throw new ArgumentException($"gemm output {output.Shape} should be [{m}, {n}]");
        // Both backends read a and b while writing the output (cuBLAS in any order), so a shared byte would be read after it is written.
        if (OperandDTypes.Overlap(a, output) || OperandDTypes.Overlap(b, output))
            throw new ArgumentException("gemm output must not overlap a or b");
        return new GemmShape(m, n, k);
    }

    private static (int Rows, int Columns) Matrix(Tensor t, string operand)
    {
        if (t.Shape.Rank < 1) throw new ArgumentException($"{operand} must have at least one dimension, got a scalar");
        long rows = t.Shape.Rows;
        if (rows > int.MaxValue) throw new ArgumentException($"{operand} {t.Shape} has more than 2^31 rows");
        return ((int)rows, t.Shape[-1]);
    }
}
