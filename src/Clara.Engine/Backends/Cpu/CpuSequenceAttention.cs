using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of <see cref="IKernels.SequenceAttention"/> and its backward: causal grouped-query attention over whole
/// sequences (keys and values are activations, not a cache), saving the log-sum-exp so the backward recomputes the
/// probabilities instead of storing them (as FlashAttention does). One task per (sequence, KV head): the task owns
/// that head's key and value gradients, so no two threads ever add into the same row.
/// </summary>
internal static class CpuSequenceAttention
{
    public static void Forward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output, Tensor logSumExp, int threads)
    {
        SequenceAttentionRules.Check(query, key, value, keyMask, layout, output, logSumExp);
        var task = new SequenceAttentionForward(new SequenceOperands(query, key, value, keyMask, layout), output, logSumExp);
        RunTasks(layout, threads, 2, task.Run);
    }

    public static void Backward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue, int threads)
    {
        SequenceAttentionRules.CheckBackward(query, key, value, keyMask, layout, output, logSumExp, gradOutput, gradQuery, gradKey, gradValue);
        // The saved output is part of the contract (a kernel may form rowsum(dO ⊙ O) from it); this twin does not need it.
        var task = new SequenceAttentionBackward(new SequenceOperands(query, key, value, keyMask, layout), logSumExp,
            gradOutput, gradQuery, gradKey, gradValue);
        RunTasks(layout, threads, 5, task.Run);
    }

    private static void RunTasks(AttentionLayout layout, int threads, int products, Action<int> run)
    {
        int tasks = layout.Batch * layout.KvHeads;
        // Causal: about half of the T × T scores per query head.
        double work = (double)tasks * layout.GroupSize * layout.QueryLength * layout.QueryLength * layout.HeadDim * products / 2;
        StaticPartition.Run(tasks, 1, threads, work, (start, end) =>
        {
            for (int i = start; i < end; i++) run(i);
        });
    }
}

/// <summary>
/// The operands both directions read, and the row geometry of one task: its rows are (query, head) pairs of one KV
/// head's group, query-major (r = t·group + g), so a block of rows covers few positions of the causal triangle.
/// </summary>
internal sealed unsafe class SequenceOperands(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout)
{
    /// <summary>Rows per block: their scores (one row of T keys each) stay in L1/L2 between the products.</summary>
    public const int RowBlock = 32;

    public Tensor Query { get; } = query;
    public Tensor Key { get; } = key;
    public Tensor Value { get; } = value;
    public Tensor KeyMask { get; } = keyMask;
    public AttentionLayout Layout { get; } = layout;
    public int Length => Layout.QueryLength;
    public int HeadDim => Layout.HeadDim;
    public int Group => Layout.GroupSize;
    public int QueryWidth => Layout.Heads * Layout.HeadDim;
    public int KvWidth => Layout.KvHeads * Layout.HeadDim;
    public int PaddedKeys => RowBroadcastGemm.PaddedColumns(Length);
    public int PaddedDim => RowBroadcastGemm.PaddedColumns(HeadDim);

    /// <summary>Element offset of row (t, g)'s head in a [batch·T, heads·d] tensor, for task (b, kvh).</summary>
    public long QueryOffset(int b, int kvh, int row) =>
        ((long)b * Length + row / Group) * QueryWidth + (kvh * Group + row % Group) * HeadDim;

    /// <summary>Index of row (t, g) in the [batch, heads, T] log-sum-exp.</summary>
    public long StatisticIndex(int b, int kvh, int row) => ((long)b * Layout.Heads + kvh * Group + row % Group) * Length + row / Group;

    /// <summary>The first unmasked key of sequence b (T when all are padding): query t sees a key exactly when this is ≤ t.</summary>
    public int FirstKey(ReadOnlySpan<int> mask)
    {
        int first = mask.IndexOfAnyExcept(0);
        return first < 0 ? Length : first;
    }

    /// <summary>dst[c, j] = source row j's component c (j &lt; T), a [d, PaddedKeys] block; padding keys are zero.</summary>
    public void PackTransposed(float* source, float* dst)
    {
        int keys = Length, d = HeadDim, padded = PaddedKeys, stride = KvWidth;
        FloatTranspose.Run(source, stride, keys, d, dst, padded);
        for (int c = 0; c < d; c++) new Span<float>(dst + (long)c * padded + keys, padded - keys).Clear();
    }

    /// <summary>dst[j, c] = source row j's component c, rows padded to whole vectors with zeros.</summary>
    public void PackRows(float* source, float* dst)
    {
        int d = HeadDim, padded = PaddedDim, stride = KvWidth;
        for (int j = 0; j < Length; j++)
        {
            new Span<float>(source + (long)j * stride, d).CopyTo(new Span<float>(dst + (long)j * padded, d));
            new Span<float>(dst + (long)j * padded + d, padded - d).Clear();
        }
    }

    [ThreadStatic] private static float[]? t_scratch;

    /// <summary>This thread's scratch, grown when needed (zeroed only when first allocated).</summary>
    public static float[] Scratch(long floats)
    {
        if (floats > Array.MaxLength) throw new NotSupportedException($"sequence attention needs {floats} floats of scratch");
        if (t_scratch is null || t_scratch.Length < floats) t_scratch = new float[floats];
        return t_scratch;
    }
}

/// <summary>
/// Forward of one (sequence, KV head): scores = scale·Q·Kᵀ over the causal keys, masked, exponentiated against the
/// row maximum; output = (exp·V) / Σ exp and logSumExp = max + log Σ exp. A row that sees no key writes 0 to both.
/// </summary>
internal sealed unsafe class SequenceAttentionForward(SequenceOperands o, Tensor output, Tensor logSumExp)
{
    public void Run(int item)
    {
        var layout = o.Layout;
        int b = item / layout.KvHeads, kvh = item % layout.KvHeads;
        int d = o.HeadDim, t = o.Length, paddedKeys = o.PaddedKeys, paddedD = o.PaddedDim, rows = t * o.Group;
        const int block = SequenceOperands.RowBlock;
        long ktSize = (long)d * paddedKeys, vSize = (long)t * paddedD, qSize = (long)block * paddedD, sSize = (long)block * paddedKeys;
        var buffer = SequenceOperands.Scratch(ktSize + vSize + 2 * qSize + sSize);
        var mask = CpuTensor.Span<int>(o.KeyMask).Slice(b * t, t);
        int firstKey = o.FirstKey(mask);
        bool anyMasked = firstKey > 0 || mask.Contains(0);
        var lse = CpuTensor.Span<float>(logSumExp);
        Span<float> rowScale = stackalloc float[block];
        fixed (float* memory = buffer)
        fixed (float* qs = CpuTensor.Span<float>(o.Query), ks = CpuTensor.Span<float>(o.Key), vs = CpuTensor.Span<float>(o.Value),
               os = CpuTensor.Span<float>(output))
        {
            float* kt = memory, v = kt + ktSize, q = v + vSize, result = q + qSize, scores = result + qSize;
            long first = (long)b * t * o.KvWidth + kvh * d;
            o.PackTransposed(ks + first, kt);
            o.PackRows(vs + first, v);
            for (int r0 = 0; r0 < rows; r0 += block)
            {
                int count = Math.Min(block, rows - r0);
                int visibleKeys = (r0 + count - 1) / o.Group + 1;
                for (int r = 0; r < count; r++)
                    new Span<float>(qs + o.QueryOffset(b, kvh, r0 + r), d).CopyTo(new Span<float>(q + r * paddedD, d));
                RowBroadcastGemm.Multiply(q, paddedD, kt, paddedKeys, scores, paddedKeys, count, visibleKeys, d, layout.Scale, 0f);
                for (int r = 0; r < count; r++)
                {
                    int position = (r0 + r) / o.Group;
                    var row = new Span<float>(scores + (long)r * paddedKeys, visibleKeys);
                    rowScale[r] = AttentionRowSoftmax.Exponentiate(row, mask, anyMasked, position + 1, out float logSum);
                    lse[(int)o.StatisticIndex(b, kvh, r0 + r)] = logSum;
                }
                RowBroadcastGemm.Multiply(scores, paddedKeys, v, paddedD, result, paddedD, count, d, visibleKeys, 1f, 0f);
                for (int r = 0; r < count; r++)
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(result + r * paddedD, d), rowScale[r], new Span<float>(os + o.QueryOffset(b, kvh, r0 + r), d));
            }
        }
    }
}

/// <summary>
/// Backward of one (sequence, KV head), block of rows by block of rows, from the saved log-sum-exp L:
/// P = exp(scale·Q·Kᵀ − L) on the visible keys, dP = dO·Vᵀ, dS = P ⊙ (dP − ⟨P, dP⟩),
/// dQ = scale·dS·K, dK += scale·dSᵀ·Q, dV += Pᵀ·dO. dK and dV sum the group's query heads in the task's own buffers.
/// </summary>
internal sealed unsafe class SequenceAttentionBackward(SequenceOperands o, Tensor logSumExp,
    Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue)
{
    public void Run(int item)
    {
        var layout = o.Layout;
        int b = item / layout.KvHeads, kvh = item % layout.KvHeads;
        int d = o.HeadDim, t = o.Length, paddedKeys = o.PaddedKeys, paddedD = o.PaddedDim, rows = t * o.Group;
        const int block = SequenceOperands.RowBlock;
        long keyT = (long)d * paddedKeys, keyRows = (long)t * paddedD, rowBlock = (long)block * paddedD, scoreBlock = (long)block * paddedKeys;
        long transposed = (long)paddedKeys * block;
        // Kᵀ, Vᵀ, K, dK, dV; then the block's Q, dO, dQ, S/P, dP/dS, Pᵀ, dSᵀ.
        var buffer = SequenceOperands.Scratch(2 * keyT + 3 * keyRows + 3 * rowBlock + 2 * scoreBlock + 2 * transposed);
        var mask = CpuTensor.Span<int>(o.KeyMask).Slice(b * t, t);
        int firstKey = o.FirstKey(mask);
        var lse = CpuTensor.Span<float>(logSumExp);
        fixed (float* memory = buffer)
        fixed (float* qs = CpuTensor.Span<float>(o.Query), ks = CpuTensor.Span<float>(o.Key), vs = CpuTensor.Span<float>(o.Value), dos = CpuTensor.Span<float>(gradOutput), dqs = CpuTensor.Span<float>(gradQuery),
               dks = CpuTensor.Span<float>(gradKey), dvs = CpuTensor.Span<float>(gradValue))
        {
            float* kt = memory, vt = kt + keyT, k = vt + keyT, dk = k + keyRows, dv = dk + keyRows;
            float* q = dv + keyRows, dOut = q + rowBlock, dq = dOut + rowBlock, p = dq + rowBlock, ds = p + scoreBlock;
            float* pt = ds + scoreBlock, dst = pt + transposed;
            long first = (long)b * t * o.KvWidth + kvh * d;
            o.PackTransposed(ks + first, kt);
            o.PackTransposed(vs + first, vt);
            o.PackRows(ks + first, k);
            new Span<float>(dk, (int)(2 * keyRows)).Clear();
            for (int r0 = 0; r0 < rows; r0 += block)
            {
                int count = Math.Min(block, rows - r0);
                int visibleKeys = (r0 + count - 1) / o.Group + 1;
                for (int r = 0; r < count; r++)
                {
                    long offset = o.QueryOffset(b, kvh, r0 + r);
                    new Span<float>(qs + offset, d).CopyTo(new Span<float>(q + r * paddedD, d));
                    new Span<float>(dos + offset, d).CopyTo(new Span<float>(dOut + r * paddedD, d));
                }
                RowBroadcastGemm.Multiply(q, paddedD, kt, paddedKeys, p, paddedKeys, count, visibleKeys, d, layout.Scale, 0f);
                RowBroadcastGemm.Multiply(dOut, paddedD, vt, paddedKeys, ds, paddedKeys, count, visibleKeys, d, 1f, 0f);
                for (int r = 0; r < count; r++)
                {
                    int position = (r0 + r) / o.Group;
                    var pr = new Span<float>(p + (long)r * paddedKeys, visibleKeys);
                    var dsr = new Span<float>(ds + (long)r * paddedKeys, visibleKeys);
                    if (firstKey > position)
                    {
                        // A query that sees no key had output 0: it passes no gradient anywhere.
                        pr.Clear();
                        dsr.Clear();
                        continue;
                    }
                    Probabilities(pr, mask, position + 1, lse[(int)o.StatisticIndex(b, kvh, r0 + r)]);
                    // delta = ⟨P, dP⟩ (equal to rowsum(dO ⊙ O), but formed like autograd's softmax backward, so a query
                    // that sees one key gets exactly dS = 0). dS = P ⊙ (dP − delta); P is exactly 0 on masked and future keys.
                    float delta = TensorPrimitives.Dot(pr, dsr);
                    TensorPrimitives.Subtract(dsr, delta, dsr);
                    TensorPrimitives.Multiply(dsr, pr, dsr);
                }
                RowBroadcastGemm.Multiply(ds, paddedKeys, k, paddedD, dq, paddedD, count, d, visibleKeys, layout.Scale, 0f);
                for (int r = 0; r < count; r++)
                    new Span<float>(dq + r * paddedD, d).CopyTo(new Span<float>(dqs + o.QueryOffset(b, kvh, r0 + r), d));
                Transpose(p, paddedKeys, count, visibleKeys, pt);
                Transpose(ds, paddedKeys, count, visibleKeys, dst);
                RowBroadcastGemm.Multiply(pt, block, dOut, paddedD, dv, paddedD, visibleKeys, d, count, 1f, 1f);
                RowBroadcastGemm.Multiply(dst, block, q, paddedD, dk, paddedD, visibleKeys, d, count, layout.Scale, 1f);
            }
            for (int j = 0; j < t; j++)
            {
                long offset = first + (long)j * o.KvWidth;
                new Span<float>(dk + (long)j * paddedD, d).CopyTo(new Span<float>(dks + offset, d));
                new Span<float>(dv + (long)j * paddedD, d).CopyTo(new Span<float>(dvs + offset, d));
            }
        }
    }

    /// <summary>Scaled scores → P = exp(score − logSumExp) on the unmasked keys before <paramref name="visible"/>, 0 elsewhere.</summary>
    private static void Probabilities(Span<float> row, ReadOnlySpan<int> mask, int visible, float logSumExp)
    {
        row[visible..].Clear();
        var live = row[..visible];
        TensorPrimitives.Subtract(live, logSumExp, live);
        TensorPrimitives.Exp(live, live);
        for (int j = 0; j < visible; j++)
            if (mask[j] == 0) live[j] = 0f;
    }

    /// <summary>dst[j, r] = src[r, j] for r &lt; rows, j &lt; columns; dst rows are <see cref="SequenceOperands.RowBlock"/> wide.</summary>
    private static void Transpose(float* src, int srcStride, int rows, int columns, float* dst) =>
        FloatTranspose.Run(src, srcStride, rows, columns, dst, SequenceOperands.RowBlock);
}
