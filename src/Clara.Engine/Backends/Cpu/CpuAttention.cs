using System.Numerics.Tensors;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// CPU twin of kernels/attention.cu: causal grouped-query attention of new queries against a KV cache, with
/// padded keys masked out. Softmax in fp32; a query with no visible key (a padding row) yields zeros, which
/// nothing reads.
/// </summary>
internal static class CpuAttention
{
    public static void WriteCache(Tensor source, Tensor cache, int start)
    {
        var (batch, capacity, width, length) = AttentionRules.CheckCacheWrite(source, cache, start);
        var src = CpuTensor.F32(source, "cache source");
        var dst = CpuTensor.F32(cache, "cache");
        for (int b = 0; b < batch; b++)
            src.Slice(b * length * width, length * width).CopyTo(dst.Slice((b * capacity + start) * width, length * width));
    }

    public static void Forward(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output, int threads)
    {
        AttentionRules.CheckAttention(query, keyCache, valueCache, keyMask, layout, output);
        int d = layout.HeadDim;

        // One task per (sequence, KV head): the query heads of its group share one packed copy of its keys and values.
        int tasks = layout.Batch * layout.KvHeads;
        double work = (double)tasks * layout.GroupSize * layout.QueryLength * layout.KeyLength * d;
        // One new query per sequence (a decode step) reads the cache in place; longer queries pack it for two products.
        bool decoding = CpuDecodeAttention.Supports(layout);
        if (decoding) work = Math.Max(work, CpuDecodeAttention.Work(layout));
        Action<int> run = decoding
            ? i => CpuDecodeAttention.Run(i, query, keyCache, valueCache, keyMask, layout, output)
            : new GroupAttention(query, keyCache, valueCache, keyMask, layout, output).Run;
        StaticPartition.Run(tasks, 1, threads, work, (start, end) =>
        {
            for (int i = start; i < end; i++) run(i);
        });
    }

    /// <summary>
    /// Attention for the query heads that share one KV head, as two small products: the rows are (query, head)
    /// pairs, query-major, so a block of rows covers few positions and wastes little of the causal triangle.
    /// Keys are packed transposed ([d, keys]) and values row-major, both padded to whole vectors, so
    /// <see cref="RowBroadcastGemm"/> computes scores = Q·Kᵀ and then output = softmax(scores)·V.
    /// </summary>
    private sealed unsafe class GroupAttention(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output)
    {
        private const int RowBlock = 32;

        public void Run(int item)
        {
            int b = item / layout.KvHeads, kvh = item % layout.KvHeads;
            int d = layout.HeadDim, group = layout.GroupSize, length = layout.QueryLength, keys = layout.KeyLength;
            int capacity = keyCache.Shape[1], qWidth = layout.Heads * d, kvWidth = layout.KvHeads * d;
            int paddedKeys = RowBroadcastGemm.PaddedColumns(keys), paddedD = RowBroadcastGemm.PaddedColumns(d);
            int rows = length * group, blockRows = Math.Min(RowBlock, rows);

            // One thread-local buffer: transposed keys, padded values, a block of queries, its scores and outputs.
            long ktSize = (long)d * paddedKeys, vSize = (long)keys * paddedD, qSize = (long)blockRows * paddedD, sSize = (long)blockRows * paddedKeys;
            var buffer = Scratch(ktSize + vSize + 2 * qSize + sSize);
            var mask = CpuTensor.Span<int>(keyMask).Slice(b * capacity, keys);
            bool anyMasked = mask.Contains(0);
            Span<float> rowScale = stackalloc float[RowBlock];
            fixed (float* memory = buffer)
            fixed (float* qs = CpuTensor.Span<float>(query), ks = CpuTensor.Span<float>(keyCache), vs = CpuTensor.Span<float>(valueCache), os = CpuTensor.Span<float>(output))
            {
                float* kt = memory, v = kt + ktSize, q = v + vSize, o = q + qSize, scores = o + qSize;
                long first = (long)b * capacity * kvWidth + kvh * d;
                PackKeys(ks + first, kvWidth, keys, d, paddedKeys, kt);
                PackValues(vs + first, kvWidth, keys, d, paddedD, v);
                for (int r0 = 0; r0 < rows; r0 += RowBlock)
                {
                    int count = Math.Min(RowBlock, rows - r0);
                    // Rows are (t, g) with r = t·group + g; the block's last query sees the most keys.
                    int visibleKeys = layout.Start + (r0 + count - 1) / group + 1;
                    for (int r = 0; r < count; r++)
                        new Span<float>(QueryRow(qs, r0 + r), d).CopyTo(new Span<float>(q + r * paddedD, d));
                    RowBroadcastGemm.Multiply(q, paddedD, kt, paddedKeys, scores, paddedKeys, count, visibleKeys, d, layout.Scale, 0f);
                    for (int r = 0; r < count; r++)
                        rowScale[r] = AttentionRowSoftmax.Exponentiate(new Span<float>(scores + (long)r * paddedKeys, visibleKeys), mask, anyMasked, layout.Start + (r0 + r) / group + 1, out _);
                    RowBroadcastGemm.Multiply(scores, paddedKeys, v, paddedD, o, paddedD, count, d, visibleKeys, 1f, 0f);
                    // Normalising the d outputs instead of the (many more) probabilities: softmax(s)·V = (exp(s)·V) / Σ exp(s).
                    for (int r = 0; r < count; r++)
                        TensorPrimitives.Multiply(new ReadOnlySpan<float>(o + r * paddedD, d), rowScale[r], new Span<float>(QueryRow(os, r0 + r), d));
                }

                // Query (and output) row of (t, g) for this sequence and KV head.
                float* QueryRow(float* basis, int row) =>
                    basis + ((long)b * length + row / group) * qWidth + (kvh * group + row % group) * d;
            }
        }

        [ThreadStatic] private static float[]? t_scratch;

        private static float[] Scratch(long floats)
        {
            if (floats > Array.MaxLength) throw new NotSupportedException($"attention needs {floats} floats of scratch");
            if (t_scratch is null || t_scratch.Length < floats) t_scratch = new float[floats];
            return t_scratch;
        }

        /// <summary>kt[c, j] = key j's component c; the padding keys are zero.</summary>
        private static void PackKeys(float* cache, int stride, int keys, int d, int paddedKeys, float* kt)
        {
            FloatTranspose.Run(cache, stride, keys, d, kt, paddedKeys);
            for (int c = 0; c < d; c++) new Span<float>(kt + (long)c * paddedKeys + keys, paddedKeys - keys).Clear();
        }

        /// <summary>v[j, c] = value j's component c, rows padded to whole vectors with zeros.</summary>
        private static void PackValues(float* cache, int stride, int keys, int d, int paddedD, float* v)
        {
            for (int j = 0; j < keys; j++)
            {
                new Span<float>(cache + (long)j * stride, d).CopyTo(new Span<float>(v + (long)j * paddedD, d));
                new Span<float>(v + (long)j * paddedD + d, paddedD - d).Clear();
            }
        }
    }
}
