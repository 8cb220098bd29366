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
            float lse = logSumExp[r];
            for (int j = 0; j < width; j++) g[j] = scale * (MathF.Exp(row[j] - lse) - (j == target ? 1f : 0f));
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

    private static float LogSumExp(ReadOnlySpan<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (var v in row) max = MathF.Max(max, v);
        double sum = 0;
        foreach (var v in row) sum += MathF.Exp(v - max);
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
