using System.Numerics.Tensors;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>CPU twins of the row gather/scatter in kernels/memory_tokens.cu and of kernels/cosine_rerank.cu.</summary>
internal static class CpuRows
{
    public static void Gather(Tensor input, Tensor rows, Tensor output)
    {
        var x = CpuTensor.F32(input, "gather input");
        var idx = CpuTensor.I32(rows, "gather rows");
        var y = CpuTensor.F32(output, "gather output");
        int width = input.Shape[-1];
        long n = input.Shape.Rows;
        if (y.Length != (long)idx.Length * width) throw new ArgumentException($"gather output {output.Shape} should be [{idx.Length}, {width}]");
        for (int i = 0; i < idx.Length; i++)
        {
            if ((uint)idx[i] >= n) throw new ArgumentOutOfRangeException(nameof(rows), $"row {idx[i]} outside [0, {n})");
            x.Slice(idx[i] * width, width).CopyTo(y.Slice(i * width, width));
        }
    }

    public static void Scatter(Tensor source, Tensor rows, Tensor target)
    {
        var x = CpuTensor.F32(source, "scatter source");
        var idx = CpuTensor.I32(rows, "scatter rows");
        var y = CpuTensor.F32(target, "scatter target");
        int width = target.Shape[-1];
        long n = target.Shape.Rows;
        if (x.Length != (long)idx.Length * width) throw new ArgumentException($"scatter source {source.Shape} should be [{idx.Length}, {width}]");
        for (int i = 0; i < idx.Length; i++)
        {
            if ((uint)idx[i] >= n) throw new ArgumentOutOfRangeException(nameof(rows), $"row {idx[i]} outside [0, {n})");
            x.Slice(i * width, width).CopyTo(y.Slice(idx[i] * width, width));
        }
    }

    public static void CosineScores(Tensor query, Tensor candidates, Tensor scores)
    {
        var q = CpuTensor.F32(query, "cosine query");
        WeightRows.Require(candidates, "cosine candidates");
        var s = CpuTensor.F32(scores, "cosine scores");
        int dim = q.Length;
        if (candidates.Shape[-1] != dim || candidates.Shape.Rows != s.Length)
            throw new ArgumentException($"cosine candidates {candidates.Shape} should be [{s.Length}, {dim}]");
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
