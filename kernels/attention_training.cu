// attention_training.cu — causal grouped-query attention over whole sequences for training: a forward that also
// saves the log-sum-exp of every softmax row, and the backward (dQ, dK, dV) from the saved output and log-sum-exp,
// FlashAttention-2 style (tiles of 32 keys in shared memory, online softmax, the probabilities recomputed in the
// backward instead of stored).
//
// Semantics (IKernels.SequenceAttention): query row t of sequence b attends to the keys j ≤ t of the same sequence
// with key_mask[b, j] ≠ 0; head h reads key/value head h / (heads / kv_heads). With s_tj = scale · q_t·k_j,
//   out_t = Σ_j softmax_j(s_tj) · v_j,   lse_t = log Σ_j exp(s_tj)   (natural log; a row that sees no key has
//   out = 0 and lse = 0, and no gradient flows through it).
// Backward, with P_tj = exp(s_tj − lse_t) and D_t = Σ_d dO_t · O_t (precomputed per row and head):
//   dV_j = Σ_t P_tj dO_t,   dS_tj = P_tj (dO_t · v_j − D_t),   dQ_t = scale Σ_j dS_tj k_j,   dK_j = scale Σ_t dS_tj q_t,
//   with dK, dV summed over the query heads of each key/value head's group. All three are written, not accumulated;
//   a masked key gets zero gradients.
//
// Layout: query, output, grad_output, grad_query F32 [batch·T, heads·head_dim]; key, value, grad_key, grad_value F32
//         [batch·T, kv_heads·head_dim]; key_mask I32 [batch, T]; lse, delta F32 [batch, heads, T].
//         head_dim ≤ 128 (each lane owns the dims lane + 32·c, c < 4).
// Launches (dynamic shared memory in floats, all under the default 48 KiB for head_dim ≤ 128):
//   clara_sequence_attention_forward:      grid = (ceil(T / 16), heads, batch), block = 128 (4 warps × 4 query rows);
//                                          shared = 16·d + d·33 + 32·d. Lane = key of the tile for the scores
//                                          (K tile stored transposed with a padded stride: no bank conflicts), lane =
//                                          dims for the output accumulators.
//   clara_sequence_attention_backward_delta: grid = batch·T, block = 256 (warp per head).
//   clara_sequence_attention_backward_kv:  grid = (ceil(T / 32), kv_heads, batch), block = 256 (8 warps × 4 keys held
//                                          in registers); shared = 2·32·d (query and dO rows staged 32 at a time).
//   clara_sequence_attention_backward_q:   grid = (ceil(T / 8), heads, batch), block = 128 (4 warps × 2 query rows);
//                                          shared = 16·d + 2·d·33 (K and V tiles, both transposed).
// Numerics: fp32 throughout, accurate expf/logf; dQ is summed per thread (no atomics), so every gradient is the same
//   on every run.
#include "clara_prelude.cuh"

#define TILE_KEYS 32
#define TILE_STRIDE (TILE_KEYS + 1)
#define MAX_CHUNKS 4

#define FORWARD_WARPS 4
#define FORWARD_ROWS 4
#define KV_WARPS 8
#define KV_KEYS_PER_WARP 4
#define KV_ROWS 32
#define Q_WARPS 4
#define Q_ROWS 2

// Stages keys [j0, j0 + 32) of one key/value head: k_tile transposed [d][TILE_STRIDE], v_tile either row-major
// [32][d] or, when v_transposed, [d][TILE_STRIDE] like k. Keys past the sequence read as 0 and are marked invisible.
__device__ __forceinline__ void stage_key_tile(const float* key, const float* value, const int* key_mask, float* k_tile,
                                               float* v_tile, bool v_transposed, int* visible_key, long long seq_base,
                                               int j0, int seq_len, int kv_width, int kv_offset, int head_dim)
{
    for (int e = threadIdx.x; e < TILE_KEYS * head_dim; e += blockDim.x)
    {
        const int jj = e / head_dim, d = e % head_dim, j = j0 + jj;
        float k = 0.0f, v = 0.0f;
        if (j < seq_len)
        {
            const long long at = (seq_base + j) * kv_width + kv_offset + d;
            k = key[at];
            v = value[at];
        }
        k_tile[d * TILE_STRIDE + jj] = k;
        v_tile[v_transposed ? d * TILE_STRIDE + jj : jj * head_dim + d] = v;
    }
    if (threadIdx.x < TILE_KEYS)
    {
        const int j = j0 + threadIdx.x;
        visible_key[threadIdx.x] = j < seq_len && key_mask[seq_base + j] != 0;
    }
}

// Where a block of query rows of one head sits (grid = (row blocks, heads, batch)).
struct head_rows
{
    int first_row, head, kv_head, q_width, kv_width;
    long long seq_base; // row index of the sequence's first row
};

__device__ __forceinline__ head_rows locate_head_rows(int rows_per_block, int seq_len, int heads, int kv_heads, int head_dim)
{
    head_rows at;
    at.first_row = blockIdx.x * rows_per_block;
    at.head = blockIdx.y;
    at.kv_head = at.head / (heads / kv_heads);
    at.q_width = heads * head_dim;
    at.kv_width = kv_heads * head_dim;
    at.seq_base = (long long)blockIdx.z * seq_len;
    return at;
}

// Copies rows [first, first + count) of one head of a [batch·T, width] tensor into tile [count][head_dim], 0 past T.
__device__ __forceinline__ void stage_rows(const float* source, float* tile, long long seq_base, int first, int count,
                                           int seq_len, int width, int offset, int head_dim)
{
    for (int e = threadIdx.x; e < count * head_dim; e += blockDim.x)
    {
        const int r = e / head_dim, d = e % head_dim, t = first + r;
        tile[e] = t < seq_len ? source[(seq_base + t) * width + offset + d] : 0.0f;
    }
}

extern "C" __global__ void clara_sequence_attention_forward(const float* query, const float* key, const float* value,
                                                            const int* key_mask, float* output, float* lse,
                                                            int seq_len, int heads, int kv_heads, int head_dim, float scale)
{
    extern __shared__ float shared[];
    __shared__ int visible_key[TILE_KEYS];
    const int rows_per_block = FORWARD_WARPS * FORWARD_ROWS;
    float* q_tile = shared;                                // [rows_per_block][head_dim]
    float* k_tile = q_tile + rows_per_block * head_dim;    // [head_dim][TILE_STRIDE]
    float* v_tile = k_tile + head_dim * TILE_STRIDE;       // [TILE_KEYS][head_dim]

    const head_rows at = locate_head_rows(rows_per_block, seq_len, heads, kv_heads, head_dim);
    const int first_row = at.first_row, head = at.head, kv_head = at.kv_head, b = blockIdx.z;
    const int q_width = at.q_width, kv_width = at.kv_width;
    const long long seq_base = at.seq_base;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

    stage_rows(query, q_tile, seq_base, first_row, rows_per_block, seq_len, q_width, head * head_dim, head_dim);

    float running_max[FORWARD_ROWS], running_sum[FORWARD_ROWS], acc[FORWARD_ROWS][MAX_CHUNKS];
#pragma unroll
    for (int r = 0; r < FORWARD_ROWS; r++)
    {
        running_max[r] = -CLARA_INF;
        running_sum[r] = 0.0f;
#pragma unroll
        for (int c = 0; c < MAX_CHUNKS; c++) acc[r][c] = 0.0f;
    }

    const int last_row = min(seq_len, first_row + rows_per_block) - 1;
    for (int j0 = 0; j0 <= last_row; j0 += TILE_KEYS)
    {
        __syncthreads(); // the previous tile is consumed (and, the first time, q_tile is complete)
        stage_key_tile(key, value, key_mask, k_tile, v_tile, false, visible_key, seq_base, j0, seq_len, kv_width,
                       kv_head * head_dim, head_dim);
        __syncthreads();

#pragma unroll
        for (int r = 0; r < FORWARD_ROWS; r++)
        {
            const int row = warp * FORWARD_ROWS + r, t = first_row + row;
            if (t >= seq_len || j0 > t) continue; // uniform across the warp
            const int j = j0 + lane;
            const bool visible = visible_key[lane] && j <= t;
            float score = -CLARA_INF;
            if (visible)
            {
                const float* q = q_tile + row * head_dim;
                float dot = 0.0f;
                for (int d = 0; d < head_dim; d++) dot += q[d] * k_tile[d * TILE_STRIDE + lane];
                score = dot * scale;
            }
            const float tile_max = warp_max(score);
            // A tile with no visible key changes nothing; a NaN score (fmaxf drops it) still goes through and poisons the row.
            if (tile_max == -CLARA_INF && !__any_sync(CLARA_FULL_MASK, score != score)) continue;
            const float new_max = fmaxf(running_max[r], tile_max);
            const float rescale = expf(running_max[r] - new_max); // 0 while the row had no key (−inf − finite)
            const float p = visible ? expf(score - new_max) : 0.0f;
            running_sum[r] = running_sum[r] * rescale + warp_sum(p);
#pragma unroll
            for (int c = 0; c < MAX_CHUNKS; c++) acc[r][c] *= rescale;
            for (int jj = 0; jj < TILE_KEYS; jj++)
            {
                const float pj = __shfl_sync(CLARA_FULL_MASK, p, jj);
#pragma unroll
                for (int c = 0; c < MAX_CHUNKS; c++)
                {
                    const int d = lane + 32 * c;
                    if (d < head_dim) acc[r][c] += pj * v_tile[jj * head_dim + d];
                }
            }
            running_max[r] = new_max;
        }
    }

#pragma unroll
    for (int r = 0; r < FORWARD_ROWS; r++)
    {
        const int t = first_row + warp * FORWARD_ROWS + r;
        if (t >= seq_len) continue;
        const bool any = running_sum[r] > 0.0f || running_sum[r] != running_sum[r];
        float* out = output + (seq_base + t) * q_width + head * head_dim;
#pragma unroll
        for (int c = 0; c < MAX_CHUNKS; c++)
        {
            const int d = lane + 32 * c;
            if (d < head_dim) out[d] = any ? acc[r][c] / running_sum[r] : 0.0f;
        }
        if (lane == 0) lse[((long long)b * heads + head) * seq_len + t] = any ? running_max[r] + logf(running_sum[r]) : 0.0f;
    }
}

extern "C" __global__ void clara_sequence_attention_backward_delta(const float* output, const float* grad_output, float* delta,
                                                                   int seq_len, int heads, int head_dim)
{
    const long long row = blockIdx.x; // b·T + t
    const long long b = row / seq_len, t = row % seq_len;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    const long long base = row * heads * head_dim;
    for (int h = warp; h < heads; h += warps)
    {
        float sum = 0.0f;
        for (int d = lane; d < head_dim; d += 32) sum += output[base + h * head_dim + d] * grad_output[base + h * head_dim + d];
        sum = warp_sum(sum);
        if (lane == 0) delta[(b * heads + h) * seq_len + t] = sum;
    }
}

extern "C" __global__ void clara_sequence_attention_backward_kv(const float* query, const float* key, const float* value,
                                                                const int* key_mask, const float* grad_output,
                                                                const float* lse, const float* delta,
                                                                float* grad_key, float* grad_value,
                                                                int seq_len, int heads, int kv_heads, int head_dim, float scale)
{
    extern __shared__ float shared[];
    __shared__ float lse_tile[KV_ROWS], delta_tile[KV_ROWS];
    float* q_tile = shared;                      // [KV_ROWS][head_dim]
    float* do_tile = shared + KV_ROWS * head_dim; // [KV_ROWS][head_dim]

    const int j0 = blockIdx.x * TILE_KEYS, kv_head = blockIdx.y, b = blockIdx.z;
    const int group = heads / kv_heads;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int q_width = heads * head_dim, kv_width = kv_heads * head_dim;
    const long long seq_base = (long long)b * seq_len;

    float k_reg[KV_KEYS_PER_WARP][MAX_CHUNKS], v_reg[KV_KEYS_PER_WARP][MAX_CHUNKS];
    float dk[KV_KEYS_PER_WARP][MAX_CHUNKS], dv[KV_KEYS_PER_WARP][MAX_CHUNKS];
    bool key_visible[KV_KEYS_PER_WARP];
#pragma unroll
    for (int i = 0; i < KV_KEYS_PER_WARP; i++)
    {
        const int j = j0 + warp * KV_KEYS_PER_WARP + i;
        key_visible[i] = j < seq_len && key_mask[seq_base + j] != 0;
#pragma unroll
        for (int c = 0; c < MAX_CHUNKS; c++)
        {
            const int d = lane + 32 * c;
            const bool inside = j < seq_len && d < head_dim;
            const long long at = (seq_base + j) * kv_width + kv_head * head_dim + d;
            k_reg[i][c] = inside ? key[at] : 0.0f;
            v_reg[i][c] = inside ? value[at] : 0.0f;
            dk[i][c] = 0.0f;
            dv[i][c] = 0.0f;
        }
    }

    for (int head = kv_head * group; head < (kv_head + 1) * group; head++)
    {
        const long long stats = ((long long)b * heads + head) * seq_len;
        for (int t0 = j0; t0 < seq_len; t0 += KV_ROWS) // causal: queries before the tile's first key see none of it
        {
            __syncthreads(); // the previous rows are consumed
            stage_rows(query, q_tile, seq_base, t0, KV_ROWS, seq_len, q_width, head * head_dim, head_dim);
            stage_rows(grad_output, do_tile, seq_base, t0, KV_ROWS, seq_len, q_width, head * head_dim, head_dim);
            if (threadIdx.x < KV_ROWS)
            {
                const int t = t0 + threadIdx.x;
                lse_tile[threadIdx.x] = t < seq_len ? lse[stats + t] : 0.0f;
                delta_tile[threadIdx.x] = t < seq_len ? delta[stats + t] : 0.0f;
            }
            __syncthreads();

            const int rows = min(KV_ROWS, seq_len - t0);
            for (int r = 0; r < rows; r++)
            {
                const int t = t0 + r;
                float q[MAX_CHUNKS], g[MAX_CHUNKS];
#pragma unroll
                for (int c = 0; c < MAX_CHUNKS; c++)
                {
                    const int d = lane + 32 * c;
                    q[c] = d < head_dim ? q_tile[r * head_dim + d] : 0.0f;
                    g[c] = d < head_dim ? do_tile[r * head_dim + d] : 0.0f;
                }
#pragma unroll
                for (int i = 0; i < KV_KEYS_PER_WARP; i++)
                {
                    const int j = j0 + warp * KV_KEYS_PER_WARP + i;
                    if (!key_visible[i] || j > t) continue; // uniform across the warp
                    float dot = 0.0f, dp = 0.0f;
#pragma unroll
                    for (int c = 0; c < MAX_CHUNKS; c++)
                    {
                        dot += q[c] * k_reg[i][c];
                        dp += g[c] * v_reg[i][c];
                    }
                    const float p = expf(warp_sum(dot) * scale - lse_tile[r]);
                    const float ds = p * (warp_sum(dp) - delta_tile[r]);
#pragma unroll
                    for (int c = 0; c < MAX_CHUNKS; c++)
                    {
                        dv[i][c] += p * g[c];
                        dk[i][c] += ds * q[c];
                    }
                }
            }
        }
    }

#pragma unroll
    for (int i = 0; i < KV_KEYS_PER_WARP; i++)
    {
        const int j = j0 + warp * KV_KEYS_PER_WARP + i;
        if (j >= seq_len) continue;
#pragma unroll
        for (int c = 0; c < MAX_CHUNKS; c++)
        {
            const int d = lane + 32 * c;
            if (d >= head_dim) continue;
            const long long at = (seq_base + j) * kv_width + kv_head * head_dim + d;
            grad_key[at] = scale * dk[i][c];
            grad_value[at] = dv[i][c];
        }
    }
}

extern "C" __global__ void clara_sequence_attention_backward_q(const float* query, const float* key, const float* value,
                                                               const int* key_mask, const float* grad_output,
                                                               const float* lse, const float* delta, float* grad_query,
                                                               int seq_len, int heads, int kv_heads, int head_dim, float scale)
{
    extern __shared__ float shared[];
    __shared__ int visible_key[TILE_KEYS];
    const int rows_per_block = Q_WARPS * Q_ROWS;
    float* q_tile = shared;                                // [rows_per_block][head_dim]
    float* do_tile = q_tile + rows_per_block * head_dim;   // [rows_per_block][head_dim]
    float* k_tile = do_tile + rows_per_block * head_dim;   // [head_dim][TILE_STRIDE]
    float* v_tile = k_tile + head_dim * TILE_STRIDE;       // [head_dim][TILE_STRIDE]

    const head_rows at = locate_head_rows(rows_per_block, seq_len, heads, kv_heads, head_dim);
    const int first_row = at.first_row, head = at.head, kv_head = at.kv_head, b = blockIdx.z;
    const int q_width = at.q_width, kv_width = at.kv_width;
    const long long seq_base = at.seq_base;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const long long stats = ((long long)b * heads + head) * seq_len;

    stage_rows(query, q_tile, seq_base, first_row, rows_per_block, seq_len, q_width, head * head_dim, head_dim);
    stage_rows(grad_output, do_tile, seq_base, first_row, rows_per_block, seq_len, q_width, head * head_dim, head_dim);

    float row_lse[Q_ROWS], row_delta[Q_ROWS], dq[Q_ROWS][MAX_CHUNKS];
#pragma unroll
    for (int r = 0; r < Q_ROWS; r++)
    {
        const int t = first_row + warp * Q_ROWS + r;
        row_lse[r] = t < seq_len ? lse[stats + t] : 0.0f;
        row_delta[r] = t < seq_len ? delta[stats + t] : 0.0f;
#pragma unroll
        for (int c = 0; c < MAX_CHUNKS; c++) dq[r][c] = 0.0f;
    }

    const int last_row = min(seq_len, first_row + rows_per_block) - 1;
    for (int j0 = 0; j0 <= last_row; j0 += TILE_KEYS)
    {
        __syncthreads();
        stage_key_tile(key, value, key_mask, k_tile, v_tile, true, visible_key, seq_base, j0, seq_len, kv_width,
                       kv_head * head_dim, head_dim);
        __syncthreads();

#pragma unroll
        for (int r = 0; r < Q_ROWS; r++)
        {
            const int row = warp * Q_ROWS + r, t = first_row + row;
            if (t >= seq_len || j0 > t) continue; // uniform across the warp
            const int j = j0 + lane;
            float ds = 0.0f;
            if (visible_key[lane] && j <= t)
            {
                const float* q = q_tile + row * head_dim;
                const float* g = do_tile + row * head_dim;
                float dot = 0.0f, dp = 0.0f;
                for (int d = 0; d < head_dim; d++)
                {
                    dot += q[d] * k_tile[d * TILE_STRIDE + lane];
                    dp += g[d] * v_tile[d * TILE_STRIDE + lane];
                }
                const float p = expf(dot * scale - row_lse[r]);
                ds = p * (dp - row_delta[r]);
            }
            for (int jj = 0; jj < TILE_KEYS; jj++)
            {
                const float dsj = __shfl_sync(CLARA_FULL_MASK, ds, jj);
                if (dsj == 0.0f) continue; // uniform: masked, future and padded keys (NaN still goes through)
#pragma unroll
                for (int c = 0; c < MAX_CHUNKS; c++)
                {
                    const int d = lane + 32 * c;
                    if (d < head_dim) dq[r][c] += dsj * k_tile[d * TILE_STRIDE + jj];
                }
            }
        }
    }

#pragma unroll
    for (int r = 0; r < Q_ROWS; r++)
    {
        const int t = first_row + warp * Q_ROWS + r;
        if (t >= seq_len) continue;
        float* out = grad_query + (seq_base + t) * q_width + head * head_dim;
#pragma unroll
        for (int c = 0; c < MAX_CHUNKS; c++)
        {
            const int d = lane + 32 * c;
            if (d < head_dim) out[d] = scale * dq[r][c];
        }
    }
}
