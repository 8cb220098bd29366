using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// Attention of one new query per sequence (a decode step) against the KV cache, for head sizes in whole 8-float
/// vectors: every key and value row is read where the cache holds it. The general kernel (<see cref="CpuAttention"/>)
/// packs all keys transposed and all values padded before two small products, which for one query row per head cost
/// as much as the products: attention was 6–9 % of a batch-1 decode step and 16 % at batch 16 (small-125m,
/// <c>workload --profile</c>). Same softmax as the general kernel (<see cref="AttentionRowSoftmax"/>).
/// </summary>
internal static unsafe class CpuDecodeAttention
{
    private const int Lanes = 8;

    public static bool Supports(AttentionLayout layout) =>
        layout.QueryLength == 1 && layout.HeadDim % Lanes == 0 && Vector256.IsHardwareAccelerated;

    /// <summary>
    /// The step's cost in the multiply-adds <see cref="StaticPartition"/> weighs parts by. Its few multiply-adds per key
    /// are not the cost: the cache rows it reads were evicted by the step's weight stream and come from DRAM, ~16
    /// multiply-adds' time per float on the hosts measured (a core streams ~10 G floats/s and multiply-adds ~140 G
    /// lanes/s). So a step over ~50 cached positions of small-125m (100 KB of keys and values) is split over the
    /// workers; on one thread it took 13 µs a layer at 16–80 positions, 5 % of a batch-1 step, and grows with the context.
    /// </summary>
    public static double Work(AttentionLayout layout) =>
        16.0 * 2 * layout.Batch * layout.KvHeads * layout.KeyLength * layout.HeadDim;

    /// <summary>The query heads of one (sequence, KV head) pair, <paramref name="item"/> = sequence · KvHeads + KV head.</summary>
    public static void Run(int item, Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output)
    {
        int b = item / layout.KvHeads, kvh = item % layout.KvHeads;
        int d = layout.HeadDim, group = layout.GroupSize, keys = layout.KeyLength;
        int capacity = keyCache.Shape[1], qWidth = layout.Heads * d, kvWidth = layout.KvHeads * d;
        var mask = CpuTensor.Span<int>(keyMask).Slice(b * capacity, keys);
        bool anyMasked = mask.Contains(0);
        var scores = PinnedScratch.Grow(ref t_scratch, (long)group * keys + d, "decode attention");
        fixed (float* s = scores)
        fixed (float* qs = CpuTensor.Span<float>(query), ks = CpuTensor.Span<float>(keyCache), vs = CpuTensor.Span<float>(valueCache), os = CpuTensor.Span<float>(output))
        {
            long heads = (long)b * qWidth + (long)kvh * group * d;
            long cache = (long)b * capacity * kvWidth + (long)kvh * d;
            for (int j = 0; j < keys; j++)
            {
                // A masked key's score is replaced by −∞ in the softmax; its row need not be read.
                if (anyMasked && mask[j] == 0) continue;
                float* key = ks + cache + (long)j * kvWidth;
                PrefetchRow(key + PrefetchKeysAhead * (long)kvWidth, d);
                for (int g = 0; g < group; g++) s[(long)g * keys + j] = Dot(qs + heads + (long)g * d, key, d) * layout.Scale;
            }
            float* sum = s + (long)group * keys;
            for (int g = 0; g < group; g++)
            {
                var row = new Span<float>(s + (long)g * keys, keys);
                float inverse = AttentionRowSoftmax.Exponentiate(row, mask, anyMasked, keys, out _);
                new Span<float>(sum, d).Clear();
                for (int j = 0; j < keys; j++)
                {
                    float p = row[j];
                    PrefetchRow(vs + cache + (long)(j + PrefetchKeysAhead) * kvWidth, d);
                    if (p == 0f) continue;
                    AddScaled(sum, vs + cache + (long)j * kvWidth, p, d);
                }
                float* o = os + heads + (long)g * d;
                for (int c = 0; c < d; c += Lanes) (Vector256.Load(sum + c) * inverse).Store(o + c);
            }
        }
    }

    /// <summary>
    /// How many cache rows ahead the key and value loops prefetch. A head's slice of a row is 4 lines at a 1 KB stride,
    /// which the hardware prefetcher does not run ahead of: at 512 cached positions (small-125m, bf16, batch 1) the
    /// attention took 930–1000 µs a step without, 590–670 with 8 rows ahead, 500–530 with 16, 32 or 64.
    /// </summary>
    private const int PrefetchKeysAhead = 16;

    /// <summary>Prefetches one head's slice of a cache row (prefetching past the cache's end never faults).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRow(float* row, int d)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported) return;
        for (int c = 0; c < d; c += 16) System.Runtime.Intrinsics.X86.Sse.Prefetch0(row + c);
    }

    /// <summary>q·k over d floats, two accumulators so the FMA chain is half as long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(float* q, float* k, int d)
    {
        var a = Vector256<float>.Zero;
        var e = Vector256<float>.Zero;
        int c = 0;
        for (; c + 2 * Lanes <= d; c += 2 * Lanes)
        {
            a = Vector256.MultiplyAddEstimate(Vector256.Load(q + c), Vector256.Load(k + c), a);
            e = Vector256.MultiplyAddEstimate(Vector256.Load(q + c + Lanes), Vector256.Load(k + c + Lanes), e);
        }
        if (c < d) a = Vector256.MultiplyAddEstimate(Vector256.Load(q + c), Vector256.Load(k + c), a);
        return Vector256.Sum(a + e);
    }

    /// <summary>sum += p · v over d floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddScaled(float* sum, float* v, float p, int d)
    {
        var scale = Vector256.Create(p);
        for (int c = 0; c < d; c += Lanes) Vector256.MultiplyAddEstimate(Vector256.Load(v + c), scale, Vector256.Load(sum + c)).Store(sum + c);
    }

    [ThreadStatic] private static float[]? t_scratch;
}
