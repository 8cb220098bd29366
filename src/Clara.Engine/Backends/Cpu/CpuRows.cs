using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twins of the row gather/scatter in kernels/memory_tokens.cu and of kernels/cosine_rerank.cu.</summary>
internal static class CpuRows
{
    public static void Gather(Tensor input, Tensor rows, Tensor output)
    {
        var (n, width) = RowsRules.CheckGather(input, rows, output);
        var x = CpuTensor.F32(input, "gather input");
        var y = CpuTensor.F32(output, "gather output");
        var idx = CpuTensor.I32(rows, "gather rows");
        for (int i = 0; i < idx.Length; i++) x.Slice(RowIndex(idx[i], n) * width, width).CopyTo(y.Slice(i * width, width));
    }

    public static void Scatter(Tensor source, Tensor rows, Tensor target)
    {
        var (n, width) = RowsRules.CheckScatter(source, rows, target);
        var x = CpuTensor.F32(source, "scatter source");
        var y = CpuTensor.F32(target, "scatter target");
        var idx = CpuTensor.I32(rows, "scatter rows");
        for (int i = 0; i < idx.Length; i++) x.Slice(i * width, width).CopyTo(y.Slice(RowIndex(idx[i], n) * width, width));
    }

    /// <summary>A row index read from the data, refused when it falls outside the <paramref name="count"/> rows.</summary>
    private static int RowIndex(int row, long count) =>
        (uint)row < count ? row : throw new ArgumentOutOfRangeException("rows", $"row {row} outside [0, {count})");

    public static void CosineScores(Tensor query, Tensor candidates, Tensor scores)
    {
        CosineRules.CheckScores(query, candidates, scores);
        var q = CpuTensor.F32(query, "cosine query");
        var s = CpuTensor.F32(scores, "cosine scores");
        int dim = q.Length;
        float qNorm = MathF.Sqrt(TensorPrimitives.Dot(q, q));
        var row = new float[dim];
        for (int i = 0; i < s.Length; i++)
        {
            WeightRows.Read(candidates, (long)i * dim, row);
            float dNorm = MathF.Sqrt(TensorPrimitives.Dot(row, row));
            // Same guard as torch.nn.functional.normalize (eps 1e-12) so a zero vector scores 0, not NaN.
            s[i] = TensorPrimitives.Dot(q, row) / (MathF.Max(qNorm, 1e-12f) * MathF.Max(dNorm, 1e-12f));
        }
    }
}
