// cosine_rerank.cu — cosine similarity of one query against N candidates (spec §3). The top-k of the
// scores is picked on the host (TopKSelection): N is tens, so copying the scores back costs nothing.
//
//   score[i] = q·c_i / (max(‖q‖, 1e-12) · max(‖c_i‖, 1e-12))   (F.normalize's epsilon; zero vectors score 0)
//
// Two passes, because N is small (tens) while each vector is long (n_mem·hidden, e.g. 32768), so one
// block per candidate would leave most of the GPU idle:
// clara_cosine_partials_{f32,bf16,f16}: grid = (N, splits), block = 256. Block (i, s) reduces the
//   slice [s·chunk, (s+1)·chunk) of candidate i to (q·c, c·c) in partials[i, s, 0..1]; the blocks of
//   candidate 0 also write q·q of their slice to query_partials[s].
// clara_cosine_finalize: grid = 1, block = 256. Sums the partials into scores[N].
// Layout: query F32 [dim]; candidates [N, dim] in F32, BF16 or F16; partials F32 [N, splits, 2];
//         query_partials F32 [splits]; scores F32 [N].
// Numerics: fp32 partial sums per thread, block tree reductions, then a sum over splits in fixed order.
//
// Backward with respect to the query (the candidates are frozen), given grad_scores g [N]:
//   grad_query += Σ_i g_i · c_i / (Nq · Nc_i) − (Σ_i g_i · score_i) / (Nq · ‖q‖) · q,   Nq = max(‖q‖, 1e-12),
//   Nc_i = max(‖c_i‖, 1e-12); the second term is absent while ‖q‖ ≤ 1e-12 (the clamp has no gradient, as in F.normalize).
// clara_cosine_partials_* first (same launch as above), then
// clara_cosine_backward_coefficients: grid = 1, block = 256. coefficients[i] = g_i / (Nq · Nc_i) for i < N and
//   coefficients[N] = the factor of q in the second term. Layout: coefficients F32 [N + 1].
// clara_cosine_backward_query_{f32,bf16,f16}: grid.x = ceil(dim / 256), block = 256; thread = one query element,
//   summing over the N candidates in order (reads of c_i coalesced across the block).
//
// Backward with respect to the candidates (a compressor trained where the scores are; F32 only):
//   grad_c_i += g_i · q / (Nq · Nc_i) − g_i · score_i / (Nc_i · ‖c_i‖) · c_i,   the second term absent while ‖c_i‖ ≤ 1e-12.
// clara_cosine_partials_f32 first, then
// clara_cosine_backward_candidate_coefficients: grid = 1, block = 256. coefficients[2i] = the factor of q and
//   coefficients[2i + 1] = the factor of c_i for candidate i. Layout: coefficients F32 [N, 2].
// clara_cosine_backward_candidates: grid = (ceil(dim / 256), N), block = 256; thread = one element of one candidate.
#include "clara_prelude.cuh"

template <typename T>
__device__ void cosine_partials(const float* query, const T* candidates, float* partials, float* query_partials,
                                int dim, int chunk)
{
    __shared__ float scratch[32];
    const int i = blockIdx.x, s = blockIdx.y, splits = gridDim.y;
    const int begin = s * chunk;
    const int end = min(dim, begin + chunk);
    const T* c = candidates + (long long)i * dim;
    float dot = 0.0f, cc = 0.0f, qq = 0.0f;
    for (int d = begin + threadIdx.x; d < end; d += blockDim.x)
    {
        const float q = query[d], x = to_float(c[d]);
        dot += q * x;
        cc += x * x;
        qq += q * q;
    }
    dot = block_sum(dot, scratch);
    cc = block_sum(cc, scratch);
    if (i == 0) qq = block_sum(qq, scratch); // uniform branch: i is the same for the whole block
    if (threadIdx.x == 0)
    {
        partials[((long long)i * splits + s) * 2 + 0] = dot;
        partials[((long long)i * splits + s) * 2 + 1] = cc;
        if (i == 0) query_partials[s] = qq;
    }
}

extern "C" __global__ void clara_cosine_partials_f32(const float* query, const float* candidates, float* partials,
                                                     float* query_partials, int dim, int chunk)
{ cosine_partials(query, candidates, partials, query_partials, dim, chunk); }

extern "C" __global__ void clara_cosine_partials_bf16(const float* query, const bf16* candidates, float* partials,
                                                      float* query_partials, int dim, int chunk)
{ cosine_partials(query, candidates, partials, query_partials, dim, chunk); }

extern "C" __global__ void clara_cosine_partials_f16(const float* query, const f16* candidates, float* partials,
                                                     float* query_partials, int dim, int chunk)
{ cosine_partials(query, candidates, partials, query_partials, dim, chunk); }

extern "C" __global__ void clara_cosine_finalize(const float* partials, const float* query_partials, float* scores,
                                                 int count, int splits)
{
    __shared__ float query_norm;
    if (threadIdx.x == 0)
    {
        float qq = 0.0f;
        for (int s = 0; s < splits; s++) qq += query_partials[s];
        query_norm = fmaxf(sqrtf(qq), 1e-12f);
    }
    __syncthreads();

    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        float dot = 0.0f, cc = 0.0f;
        for (int s = 0; s < splits; s++)
        {
            dot += partials[((long long)i * splits + s) * 2 + 0];
            cc += partials[((long long)i * splits + s) * 2 + 1];
        }
        scores[i] = dot / (query_norm * fmaxf(sqrtf(cc), 1e-12f));
    }
}

extern "C" __global__ void clara_cosine_backward_coefficients(const float* partials, const float* query_partials,
                                                              const float* grad_scores, float* coefficients,
                                                              int count, int splits)
{
    __shared__ float scratch[32];
    float qq = 0.0f;
    for (int s = 0; s < splits; s++) qq += query_partials[s]; // every thread, same order: same value everywhere
    const float query_length = sqrtf(qq);
    const float query_norm = fmaxf(query_length, 1e-12f);

    float weighted_scores = 0.0f;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        float dot = 0.0f, cc = 0.0f;
        for (int s = 0; s < splits; s++)
        {
            dot += partials[((long long)i * splits + s) * 2 + 0];
            cc += partials[((long long)i * splits + s) * 2 + 1];
        }
        const float candidate_norm = fmaxf(sqrtf(cc), 1e-12f);
        const float score = dot / (query_norm * candidate_norm);
        coefficients[i] = grad_scores[i] / (query_norm * candidate_norm);
        weighted_scores += grad_scores[i] * score;
    }
    weighted_scores = block_sum(weighted_scores, scratch);
    if (threadIdx.x == 0) coefficients[count] = query_length > 1e-12f ? weighted_scores / (query_norm * query_length) : 0.0f;
}

template <typename T>
__device__ void cosine_backward_query(const float* query, const T* candidates, const float* coefficients,
                                      float* grad_query, int count, int dim)
{
    const int d = blockIdx.x * blockDim.x + threadIdx.x;
    if (d >= dim) return;
    float sum = 0.0f;
    for (int i = 0; i < count; i++) sum += coefficients[i] * to_float(candidates[(long long)i * dim + d]);
    grad_query[d] += sum - coefficients[count] * query[d];
}

extern "C" __global__ void clara_cosine_backward_query_f32(const float* query, const float* candidates, const float* coefficients,
                                                           float* grad_query, int count, int dim)
{ cosine_backward_query(query, candidates, coefficients, grad_query, count, dim); }

extern "C" __global__ void clara_cosine_backward_query_bf16(const float* query, const bf16* candidates, const float* coefficients,
                                                            float* grad_query, int count, int dim)
{ cosine_backward_query(query, candidates, coefficients, grad_query, count, dim); }

extern "C" __global__ void clara_cosine_backward_query_f16(const float* query, const f16* candidates, const float* coefficients,
                                                           float* grad_query, int count, int dim)
{ cosine_backward_query(query, candidates, coefficients, grad_query, count, dim); }

extern "C" __global__ void clara_cosine_backward_candidate_coefficients(const float* partials, const float* query_partials,
                                                                        const float* grad_scores, float* coefficients,
                                                                        int count, int splits)
{
    float qq = 0.0f;
    for (int s = 0; s < splits; s++) qq += query_partials[s];
    const float query_norm = fmaxf(sqrtf(qq), 1e-12f);
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        float dot = 0.0f, cc = 0.0f;
        for (int s = 0; s < splits; s++)
        {
            dot += partials[((long long)i * splits + s) * 2 + 0];
            cc += partials[((long long)i * splits + s) * 2 + 1];
        }
        const float candidate_length = sqrtf(cc);
        const float candidate_norm = fmaxf(candidate_length, 1e-12f);
        const float score = dot / (query_norm * candidate_norm);
        coefficients[2 * i] = grad_scores[i] / (query_norm * candidate_norm);
        coefficients[2 * i + 1] = candidate_length > 1e-12f ? grad_scores[i] * score / (candidate_norm * candidate_length) : 0.0f;
    }
}

extern "C" __global__ void clara_cosine_backward_candidates(const float* query, const float* candidates, const float* coefficients,
                                                            float* grad_candidates, int dim)
{
    const int d = blockIdx.x * blockDim.x + threadIdx.x;
    if (d >= dim) return;
    const int i = blockIdx.y;
    const long long at = (long long)i * dim + d;
    grad_candidates[at] += coefficients[2 * i] * query[d] - coefficients[2 * i + 1] * candidates[at];
}
