using System.Numerics.Tensors;
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
        var src = CpuTensor.F32(source, "cache source");
        var dst = CpuTensor.F32(cache, "cache");
        if (cache.Shape.Rank != 3) throw new ArgumentException($"cache must be [batch, capacity, width], got {cache.Shape}");
        int batch = cache.Shape[0], capacity = cache.Shape[1], width = cache.Shape[2];
        if (source.Shape[-1] != width || source.Shape.Rows % batch != 0)
            throw new ArgumentException($"cache source {source.Shape} does not fit cache {cache.Shape}");
        int length = (int)(source.Shape.Rows / batch);
        if (start < 0 || start + length > capacity)
            throw new ArgumentOutOfRangeException(nameof(start), $"cache rows [{start}, {start + length}) exceed capacity {capacity}");
        for (int b = 0; b < batch; b++)
            src.Slice(b * length * width, length * width).CopyTo(dst.Slice((b * capacity + start) * width, length * width));
    }

    public static void Forward(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output, int threads)
    {
        layout.Validate();
        var q = CpuTensor.F32(query, "attention query");
        var kc = CpuTensor.F32(keyCache, "key cache");
        var vc = CpuTensor.F32(valueCache, "value cache");
        var mask = CpuTensor.I32(keyMask, "key mask");
        var o = CpuTensor.F32(output, "attention output");
        int d = layout.HeadDim, qWidth = layout.Heads * d, kvWidth = layout.KvHeads * d;
        int capacity = keyCache.Shape[1];
        if (query.Shape.Rows != (long)layout.Batch * layout.QueryLength || query.Shape[-1] != qWidth)
            throw new ArgumentException($"attention query {query.Shape} does not match {layout}");
        if (keyCache.Shape.Rank != 3 || keyCache.Shape[0] != layout.Batch || keyCache.Shape[2] != kvWidth || !keyCache.Shape.Equals(valueCache.Shape))
            throw new ArgumentException($"key cache {keyCache.Shape} / value cache {valueCache.Shape} do not match {layout}");
        if (layout.KeyLength > capacity) throw new ArgumentException($"{layout.KeyLength} keys exceed the cache capacity {capacity}");
        if (keyMask.ElementCount != (long)layout.Batch * capacity) throw new ArgumentException($"key mask {keyMask.Shape} should be [{layout.Batch}, {capacity}]");
        if (output.ElementCount != query.ElementCount) throw new ArgumentException($"attention output {output.Shape} differs from query {query.Shape}");

        int work = layout.Batch * layout.Heads;
        var body = (int item) =>
        {
            int b = item / layout.Heads, h = item % layout.Heads, kvh = h / layout.GroupSize;
            var qs = CpuTensor.Span<float>(query);
            var ks = CpuTensor.Span<float>(keyCache);
            var vs = CpuTensor.Span<float>(valueCache);
            var ms = CpuTensor.Span<int>(keyMask);
            var os = CpuTensor.Span<float>(output);
            var scores = new float[layout.KeyLength];
            var acc = new float[d];
            for (int t = 0; t < layout.QueryLength; t++)
            {
                var qv = qs.Slice(((b * layout.QueryLength) + t) * qWidth + h * d, d);
                int visible = layout.Start + t + 1;
                float max = float.NegativeInfinity;
                for (int j = 0; j < visible; j++)
                {
                    if (ms[b * capacity + j] == 0) { scores[j] = float.NegativeInfinity; continue; }
                    float s = TensorPrimitives.Dot(qv, ks.Slice((b * capacity + j) * kvWidth + kvh * d, d)) * layout.Scale;
                    scores[j] = s;
                    if (s > max) max = s;
                }
                var outRow = os.Slice(((b * layout.QueryLength) + t) * qWidth + h * d, d);
                if (float.IsNegativeInfinity(max)) { outRow.Clear(); continue; }
                float sum = 0f;
                for (int j = 0; j < visible; j++)
                {
                    float e = float.IsNegativeInfinity(scores[j]) ? 0f : MathF.Exp(scores[j] - max);
                    scores[j] = e;
                    sum += e;
                }
                Array.Clear(acc);
                for (int j = 0; j < visible; j++)
                {
                    if (scores[j] == 0f) continue;
                    TensorPrimitives.MultiplyAdd(vs.Slice((b * capacity + j) * kvWidth + kvh * d, d), scores[j] / sum, acc, acc);
                }
                acc.CopyTo(outRow);
            }
        };
        if (threads <= 1 || work == 1) for (int i = 0; i < work; i++) body(i);
        else Parallel.For(0, work, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }
}
