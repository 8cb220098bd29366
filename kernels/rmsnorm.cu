// rmsnorm.cu — RMSNorm as Mistral/Llama define it: y = x · rsqrt(mean(x²) + eps) · weight, and its backward.
//
// Forward. Layout: input, output F32 [rows, hidden]; weight [hidden] in F32, BF16 or F16 (one entry point each).
//          output may alias input (every element is read before it is written, after the reduction).
// Launch: grid.x = rows (one block per row), block = 256 threads (a multiple of 32, at most 1024).
// Numerics: sum of squares in fp32, reduced across the block; the product is (x · r) · w, the order
//           HF's MistralRMSNorm uses.
//
// Backward, with r = rsqrt(mean(x²) + eps) recomputed from the input and g the output gradient:
//   dx_i = r · g_i·w_i − x_i · r³/hidden · Σ_j g_j·w_j·x_j          (written)
//   dw_i += Σ_rows g_i · x_i · r                                       (accumulated, F32 [hidden])
// Three launches, so that grad_input may alias grad_output or input (nothing reads them after the last one):
// clara_rmsnorm_backward_stats_{f32,bf16,f16}: grid.x = rows, block = 256. stats[row] = (r, r³/hidden · Σ g·w·x).
// clara_rmsnorm_weight_grad_partials: grid = (ceil(hidden / 256), chunks), block = 256. Thread = one column of
//   one chunk of rows_per_chunk rows: partials[chunk, i] = Σ g_i·x_i·r over the chunk's rows (coalesced reads).
// clara_rmsnorm_weight_grad_finish: grid.x = ceil(hidden / 256), block = 256. grad_weight[i] += Σ_chunk partials
//   in chunk order, so the weight gradient is the same on every run (no float atomics).
// clara_rmsnorm_backward_input_{f32,bf16,f16}: grid.x = rows, block = 256. Writes dx from the stats.
#include "clara_prelude.cuh"

template <typename T>
__device__ void rmsnorm(const float* input, const T* weight, float* output, int hidden, float eps)
{
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    const float* x = input + row * hidden;
    float* y = output + row * hidden;

    float squares = 0.0f;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) squares += x[i] * x[i];
    squares = block_sum(squares, scratch);

    const float r = rsqrtf(squares / (float)hidden + eps);
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) y[i] = (x[i] * r) * to_float(weight[i]);
}

extern "C" __global__ void clara_rmsnorm_f32(const float* input, const float* weight, float* output, int hidden, float eps)
{ rmsnorm(input, weight, output, hidden, eps); }

extern "C" __global__ void clara_rmsnorm_bf16(const float* input, const bf16* weight, float* output, int hidden, float eps)
{ rmsnorm(input, weight, output, hidden, eps); }

extern "C" __global__ void clara_rmsnorm_f16(const float* input, const f16* weight, float* output, int hidden, float eps)
{ rmsnorm(input, weight, output, hidden, eps); }

template <typename T>
__device__ void rmsnorm_backward_stats(const float* input, const T* weight, const float* grad_output, float* stats,
                                       int hidden, float eps)
{
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    const float* x = input + row * hidden;
    const float* g = grad_output + row * hidden;
    float squares = 0.0f, gwx = 0.0f;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x)
    {
        squares += x[i] * x[i];
        gwx += g[i] * to_float(weight[i]) * x[i];
    }
    squares = block_sum(squares, scratch);
    gwx = block_sum(gwx, scratch);
    if (threadIdx.x == 0)
    {
        const float r = rsqrtf(squares / (float)hidden + eps);
        stats[2 * row] = r;
        stats[2 * row + 1] = r * r * r / (float)hidden * gwx;
    }
}

extern "C" __global__ void clara_rmsnorm_backward_stats_f32(const float* input, const float* weight, const float* grad_output,
                                                            float* stats, int hidden, float eps)
{ rmsnorm_backward_stats(input, weight, grad_output, stats, hidden, eps); }

extern "C" __global__ void clara_rmsnorm_backward_stats_bf16(const float* input, const bf16* weight, const float* grad_output,
                                                             float* stats, int hidden, float eps)
{ rmsnorm_backward_stats(input, weight, grad_output, stats, hidden, eps); }

extern "C" __global__ void clara_rmsnorm_backward_stats_f16(const float* input, const f16* weight, const float* grad_output,
                                                            float* stats, int hidden, float eps)
{ rmsnorm_backward_stats(input, weight, grad_output, stats, hidden, eps); }

extern "C" __global__ void clara_rmsnorm_weight_grad_partials(const float* input, const float* grad_output, const float* stats,
                                                              float* partials, int rows, int hidden, int rows_per_chunk)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= hidden) return;
    const int chunk = blockIdx.y;
    const int begin = chunk * rows_per_chunk;
    const int end = min(rows, begin + rows_per_chunk);
    float sum = 0.0f;
    for (int row = begin; row < end; row++)
    {
        const long long at = (long long)row * hidden + i;
        sum += grad_output[at] * input[at] * stats[2 * (long long)row];
    }
    partials[(long long)chunk * hidden + i] = sum;
}

extern "C" __global__ void clara_rmsnorm_weight_grad_finish(const float* partials, float* grad_weight, int hidden, int chunks)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= hidden) return;
    float sum = 0.0f;
    for (int c = 0; c < chunks; c++) sum += partials[(long long)c * hidden + i];
    grad_weight[i] += sum;
}

template <typename T>
__device__ void rmsnorm_backward_input(const float* input, const T* weight, const float* grad_output, const float* stats,
                                       float* grad_input, int hidden)
{
    const long long row = blockIdx.x;
    const float* x = input + row * hidden;
    const float* g = grad_output + row * hidden;
    float* dx = grad_input + row * hidden;
    const float r = stats[2 * row], c = stats[2 * row + 1];
    // Each element is read and written by the same thread, so grad_input may alias grad_output or input.
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) dx[i] = r * g[i] * to_float(weight[i]) - x[i] * c;
}

extern "C" __global__ void clara_rmsnorm_backward_input_f32(const float* input, const float* weight, const float* grad_output,
                                                            const float* stats, float* grad_input, int hidden)
{ rmsnorm_backward_input(input, weight, grad_output, stats, grad_input, hidden); }

extern "C" __global__ void clara_rmsnorm_backward_input_bf16(const float* input, const bf16* weight, const float* grad_output,
                                                             const float* stats, float* grad_input, int hidden)
{ rmsnorm_backward_input(input, weight, grad_output, stats, grad_input, hidden); }

extern "C" __global__ void clara_rmsnorm_backward_input_f16(const float* input, const f16* weight, const float* grad_output,
                                                            const float* stats, float* grad_input, int hidden)
{ rmsnorm_backward_input(input, weight, grad_output, stats, grad_input, hidden); }
