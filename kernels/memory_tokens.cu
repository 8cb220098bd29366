// memory_tokens.cu — moving rows in and out of the memory-token positions, and the compressor's
// alignment loss (spec §2).
//
// clara_gather_rows:  output[i, :] = input[rows[i], :].        input F32 [n, width], rows I32 [m], output [m, width].
// clara_scatter_rows: target[rows[i], :] = source[i, :].       other target rows untouched.
//   Launch: grid.x = m, block = 256. A row index outside [0, n) raises CLARA_FAULT_INDEX_OUT_OF_RANGE;
//   gather writes NaN for it, scatter skips it. Scatter with duplicate rows keeps an arbitrary one.
// clara_scatter_add_rows: target[rows[i], :] += source[i, :] (the backward of the embedding lookup and of the
//   gather). Same launch and index handling as scatter; repeated rows accumulate through atomicAdd, so their
//   sum is exact up to the order of fp32 additions, which may differ from run to run.
//
// Alignment loss. Every position of a document row has a role: 0 = ignored (padding), 1 = document
// (attended, not a memory token), 2 = memory token. With h the final hidden states,
//   doc_mean[b] = mean of h[b, t] over role-1 positions, mem_mean[b] = mean over role-2 positions
//   (a mean over no positions is 0), mse[b] = mean over hidden of (doc_mean[b] − mem_mean[b])².
// clara_memory_means:        hidden F32 [batch, len, hidden], roles I32 [batch, len] → doc_mean, mem_mean F32 [batch, hidden].
//   Launch: grid = (ceil(hidden / 256), batch), block = 256: thread = one hidden dim, loops over positions.
// clara_memory_mse:          doc_mean, mem_mean → mse F32 [batch]. Launch: grid.x = batch, block = 256.
// clara_memory_mse_backward: ADDS grad_scale · d mse[b] / d h[b, t, :] to grad_hidden F32 [batch, len, hidden] for
//   every document b (the hidden states also receive the language-model gradient):
//     role 1: +grad_scale · 2 (doc_mean − mem_mean) / (hidden · n_doc), role 2: −… / (hidden · n_mem).
//   Launch: grid = (len, batch), block = 256.
#include "clara_prelude.cuh"

#define ROLE_DOCUMENT 1
#define ROLE_MEMORY 2

extern "C" __global__ void clara_gather_rows(const float* input, const int* rows, float* output, int n, int width,
                                             unsigned int* faults)
{
    const long long i = blockIdx.x;
    gather_row_checked(input, rows[i], n, width, output + i * width, faults);
}

// Block i stores (or, accumulating, adds) source row i into target row rows[i]; an index outside [0, n) moves nothing
// and raises the fault flag.
template <bool Accumulate>
__device__ __forceinline__ void scatter_row(const float* source, const int* rows, float* target, int n, int width,
                                            unsigned int* faults)
{
    const long long i = blockIdx.x;
    const int r = rows[i];
    if (r < 0 || r >= n)
    {
        if (threadIdx.x == 0) atomicOr(faults, CLARA_FAULT_INDEX_OUT_OF_RANGE);
        return;
    }
    const float* src = source + i * width;
    float* dst = target + (long long)r * width;
    for (int j = threadIdx.x; j < width; j += blockDim.x)
    {
        if (Accumulate) atomicAdd(dst + j, src[j]);
        else dst[j] = src[j];
    }
}

extern "C" __global__ void clara_scatter_rows(const float* source, const int* rows, float* target, int n, int width,
                                              unsigned int* faults)
{ scatter_row<false>(source, rows, target, n, width, faults); }

extern "C" __global__ void clara_scatter_add_rows(const float* source, const int* rows, float* target, int n, int width,
                                                  unsigned int* faults)
{ scatter_row<true>(source, rows, target, n, width, faults); }

extern "C" __global__ void clara_memory_means(const float* hidden_states, const int* roles, float* doc_mean,
                                              float* mem_mean, int len, int hidden)
{
    const int b = blockIdx.y;
    const int h = blockIdx.x * blockDim.x + threadIdx.x;
    if (h >= hidden) return;
    const int* role = roles + (long long)b * len;
    const float* x = hidden_states + (long long)b * len * hidden + h;
    float doc = 0.0f, mem = 0.0f;
    int n_doc = 0, n_mem = 0;
    for (int t = 0; t < len; t++)
    {
        const int r = role[t];
        if (r == ROLE_DOCUMENT) { doc += x[(long long)t * hidden]; n_doc++; }
        else if (r == ROLE_MEMORY) { mem += x[(long long)t * hidden]; n_mem++; }
    }
    doc_mean[(long long)b * hidden + h] = n_doc > 0 ? doc / (float)n_doc : 0.0f;
    mem_mean[(long long)b * hidden + h] = n_mem > 0 ? mem / (float)n_mem : 0.0f;
}

extern "C" __global__ void clara_memory_mse(const float* doc_mean, const float* mem_mean, float* mse, int hidden)
{
    __shared__ float scratch[32];
    const long long b = blockIdx.x;
    const float* d = doc_mean + b * hidden;
    const float* m = mem_mean + b * hidden;
    float sum = 0.0f;
    for (int h = threadIdx.x; h < hidden; h += blockDim.x)
    {
        const float diff = d[h] - m[h];
        sum += diff * diff;
    }
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0) mse[b] = sum / (float)hidden;
}

extern "C" __global__ void clara_memory_mse_backward(const int* roles, const float* doc_mean, const float* mem_mean,
                                                     float grad_scale, float* grad_hidden, int len, int hidden)
{
    __shared__ float scratch[32];
    const int t = blockIdx.x, b = blockIdx.y;
    const int* role = roles + (long long)b * len;
    const int my_role = role[t];
    if (my_role != ROLE_DOCUMENT && my_role != ROLE_MEMORY) return;

    float count = 0.0f;
    for (int u = threadIdx.x; u < len; u += blockDim.x) count += role[u] == my_role ? 1.0f : 0.0f;
    count = block_sum(count, scratch);

    const float sign = my_role == ROLE_DOCUMENT ? 1.0f : -1.0f;
    const float factor = sign * grad_scale * 2.0f / ((float)hidden * count);
    const float* d = doc_mean + (long long)b * hidden;
    const float* m = mem_mean + (long long)b * hidden;
    float* g = grad_hidden + ((long long)b * len + t) * hidden;
    for (int h = threadIdx.x; h < hidden; h += blockDim.x) g[h] += factor * (d[h] - m[h]);
}
