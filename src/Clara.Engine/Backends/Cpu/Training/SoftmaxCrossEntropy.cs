namespace Clara.Engine.Backends.Cpu.Training;

/// <summary>
/// CPU twin of the cross-entropy kernels in kernels/softmax_xent.cu: per-row softmax cross-entropy of
/// logits [rows, width] against integer targets, PyTorch's F.cross_entropy with ignore_index.
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>PyTorch's default ignore_index.</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>
    /// losses[r] = logsumexp(logits[r]) − logits[r, targets[r]] (0 where targets[r] == ignoreIndex);
    /// logSumExp[r] is kept for <see cref="Backward"/>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int width, int ignoreIndex,
        Span<float> losses, Span<float> logSumExp)
    {
        int rows = RowCount(logits, targets, width);
        if (losses.Length != rows || logSumExp.Length != rows)
            throw new ArgumentException($"cross-entropy needs {rows} losses and log-sum-exps, got {losses.Length} and {logSumExp.Length}");
        for (int r = 0; r < rows; r++)
        {
            var row = logits.Slice(r * width, width);
            logSumExp[r] = LogSumExp(row);
            int target = targets[r];
            if (target == ignoreIndex) { losses[r] = 0f; continue; }
            if ((uint)target >= (uint)width)
                throw new ArgumentOutOfRangeException(nameof(targets), $"target {target} of row {r} is outside [0, {width})");
            losses[r] = logSumExp[r] - row[target];
        }
    }

    /// <summary>grad[r, j] = scale · (softmax(logits[r])_j − [j == targets[r]]); ignored rows get 0. grad may alias logits.</summary>
    public static void Backward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, ReadOnlySpan<float> logSumExp,
        int width, int ignoreIndex, float scale, Span<float> grad)
    {
        int rows = RowCount(logits, targets, width);
        if (logSumExp.Length != rows || grad.Length != logits.Length)
            throw new ArgumentException($"cross-entropy backward needs {rows} log-sum-exps and a gradient of {logits.Length}");
        for (int r = 0; r < rows; r++)
        {
            var g = grad.Slice(r * width, width);
            int target = targets[r];
            if (target == ignoreIndex) { g.Clear(); continue; }
            if ((uint)target >= (uint)width)
                throw new ArgumentOutOfRangeException(nameof(targets), $"target {target} of row {r} is outside [0, {width})");
            var row = logits.Slice(r * width, width);
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, logSumExp[r], g);
            System.Numerics.Tensors.TensorPrimitives.Exp(g, g);
            // The saved log-sum-exp is rounded to fp32: for logits near 50 (cosine scores over a temperature of 0.02)
            // that is up to 2e-6 off, which scales every probability alike, so they sum to 1 ± 2e-6 and the gradient
            // no longer sums to 0 — an error the candidates' nearly parallel memories then magnify in the query's
            // gradient. Dividing by the actual sum (in double) restores Σ softmax = 1.
            double total = CpuReductions.SumInDouble(g);
            double atTarget = g[target] / total - 1;
            System.Numerics.Tensors.TensorPrimitives.Multiply(g, (float)(scale / total), g);
            g[target] = (float)(scale * atTarget);
        }
    }

    /// <summary>The number of rows that count towards a mean (targets other than <paramref name="ignoreIndex"/>).</summary>
    public static int CountTargets(ReadOnlySpan<int> targets, int ignoreIndex)
    {
        int count = 0;
        foreach (var t in targets) if (t != ignoreIndex) count++;
        return count;
    }

    /// <summary>reduction='mean': the summed losses over the counted rows (NaN when every row is ignored, as in PyTorch).</summary>
    public static float Mean(ReadOnlySpan<float> losses, ReadOnlySpan<int> targets, int ignoreIndex)
    {
        double sum = 0;
        for (int r = 0; r < losses.Length; r++) if (targets[r] != ignoreIndex) sum += losses[r];
        return (float)(sum / CountTargets(targets, ignoreIndex));
    }

    /// <summary>max + log Σ exp(v − max): exponentials vectorised in chunks, chunk sums added in double.</summary>
    private static float LogSumExp(ReadOnlySpan<float> row)
    {
        float max = System.Numerics.Tensors.TensorPrimitives.Max(row);
        const int Chunk = 1024;
        Span<float> shifted = stackalloc float[Math.Min(Chunk, row.Length)];
        double sum = 0;
        for (int i = 0; i < row.Length; i += Chunk)
        {
            var part = shifted[..Math.Min(Chunk, row.Length - i)];
            System.Numerics.Tensors.TensorPrimitives.Subtract(row.Slice(i, part.Length), max, part);
            System.Numerics.Tensors.TensorPrimitives.Exp(part, part);
            sum += System.Numerics.Tensors.TensorPrimitives.Sum(part);
        }
        return max + (float)Math.Log(sum);
    }

    private static int RowCount(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int width)
    {
        if (width <= 0 || logits.Length % width != 0)
            throw new ArgumentException($"{logits.Length} logits are not rows of width {width}");
        int rows = logits.Length / width;
        if (targets.Length != rows) throw new ArgumentException($"cross-entropy has {rows} logit rows but {targets.Length} targets");
        return rows;
    }
}
