// attention.cu — causal grouped-query attention against a KV cache (prefill and decode alike), and the
// cache write that precedes it. Semantics are IKernels.Attention / AttentionLayout's:
//
//   query row (b, t) sits at cache index start + t and attends to the cache indices j ≤ start + t of
//   sequence b whose key_mask[b, j] is non-zero; head h reads key/value head h / (heads / kv_heads).
//   out = softmax_j(scale · q·k_j) · v_j. A row with no visible key (e.g. left padding) outputs 0.
//
// Layout: query, output F32 [batch·q_len, heads·head_dim]; key_cache, value_cache F32
//         [batch, capacity, kv_heads·head_dim]; key_mask I32 [batch, capacity].
// Launch (clara_attention): grid = (batch·q_len, heads); block = 32·W threads, W ≤ 8 warps;
//         dynamic shared memory = (W·head_dim + 2·W) floats. head_dim ≤ 256 (8 dims per lane).
//   Warp w walks the visible keys w, w+W, w+2W, … keeping a flash-attention style running
//   (max, sum, weighted values) — one warp reduction per key, lanes own the dims lane, lane+32, … —
//   and the W partial states are merged in shared memory at the end. Decode (q_len = 1) uses more
//   warps per block so a single query still spreads over the key range.
// Numerics: fp32 throughout, accurate expf; each warp's online softmax rescales by exp(m_old − m_new).
#include "clara_prelude.cuh"

#define ATTENTION_MAX_DIMS_PER_LANE 8

extern "C" __global__ void clara_attention(const float* query, const float* key_cache, const float* value_cache,
                                           const int* key_mask, float* output,
                                           int q_len, int start, int capacity, int heads, int kv_heads,
                                           int head_dim, float scale)
{
    extern __shared__ float shared[];
    const int row = blockIdx.x, head = blockIdx.y;
    const int b = row / q_len, t = row % q_len;
    const int kv_head = head / (heads / kv_heads);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const int q_width = heads * head_dim, kv_width = kv_heads * head_dim;

    const float* q = query + (long long)row * q_width + head * head_dim;
    const float* keys = key_cache + (long long)b * capacity * kv_width + kv_head * head_dim;
    const float* values = value_cache + (long long)b * capacity * kv_width + kv_head * head_dim;
    const int* mask = key_mask + (long long)b * capacity;

    float q_part[ATTENTION_MAX_DIMS_PER_LANE], acc[ATTENTION_MAX_DIMS_PER_LANE];
#pragma unroll
    for (int i = 0; i < ATTENTION_MAX_DIMS_PER_LANE; i++)
    {
        const int d = lane + 32 * i;
        q_part[i] = d < head_dim ? q[d] : 0.0f;
        acc[i] = 0.0f;
    }

    float running_max = -CLARA_INF, running_sum = 0.0f;
    const int last = start + t;
    for (int j = warp; j <= last; j += warps)
    {
        if (mask[j] == 0) continue; // j is the same for the whole warp: no divergence
        const float* k = keys + (long long)j * kv_width;
        float dot = 0.0f;
#pragma unroll
        for (int i = 0; i < ATTENTION_MAX_DIMS_PER_LANE; i++)
        {
            const int d = lane + 32 * i;
            if (d < head_dim) dot += q_part[i] * k[d];
        }
        const float score = warp_sum(dot) * scale;
        const float new_max = fmaxf(running_max, score);
        const float rescale = expf(running_max - new_max); // 0 for the first key (running_max = -inf)
        const float weight = expf(score - new_max);
        running_sum = running_sum * rescale + weight;
        const float* v = values + (long long)j * kv_width;
#pragma unroll
        for (int i = 0; i < ATTENTION_MAX_DIMS_PER_LANE; i++)
        {
            const int d = lane + 32 * i;
            if (d < head_dim) acc[i] = acc[i] * rescale + weight * v[d];
        }
        running_max = new_max;
    }

    // Merge the warps' partial states.
    float* partial = shared;                         // [warps][head_dim]
    float* maxima = shared + warps * head_dim;       // [warps]
    float* sums = maxima + warps;                    // [warps]
#pragma unroll
    for (int i = 0; i < ATTENTION_MAX_DIMS_PER_LANE; i++)
    {
        const int d = lane + 32 * i;
        if (d < head_dim) partial[warp * head_dim + d] = acc[i];
    }
    if (lane == 0) { maxima[warp] = running_max; sums[warp] = running_sum; }
    __syncthreads();

    float global_max = -CLARA_INF;
    for (int w = 0; w < warps; w++) global_max = fmaxf(global_max, maxima[w]);
    float total = 0.0f;
    if (global_max != -CLARA_INF)
        for (int w = 0; w < warps; w++)
            if (maxima[w] != -CLARA_INF) total += sums[w] * expf(maxima[w] - global_max);

    float* out = output + (long long)row * q_width + head * head_dim;
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x)
    {
        float value = 0.0f;
        if (total > 0.0f)
        {
            for (int w = 0; w < warps; w++)
                if (maxima[w] != -CLARA_INF) value += partial[w * head_dim + d] * expf(maxima[w] - global_max);
            value /= total;
        }
        out[d] = value;
    }
}

// Copies source rows into the cache: cache[b, start + t, :] = source[b·len + t, :].
// Layout: source F32 [batch·len, width]; cache F32 [batch, capacity, width]; start + len ≤ capacity.
// Launch: grid.x = batch·len (one block per row), block = 256 threads striding over width.
extern "C" __global__ void clara_write_cache(const float* source, float* cache, int len, int capacity, int width, int start)
{
    const int row = blockIdx.x;
    const int b = row / len, t = row % len;
    const float* src = source + (long long)row * width;
    float* dst = cache + ((long long)b * capacity + start + t) * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) dst[i] = src[i];
}
