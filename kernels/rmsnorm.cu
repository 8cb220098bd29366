// rmsnorm.cu — RMSNorm as Mistral/Llama define it: y = x · rsqrt(mean(x²) + eps) · weight.
//
// Layout: input, output F32 [rows, hidden]; weight [hidden] in F32, BF16 or F16 (one entry point each).
//         output may alias input (every element is read before it is written, after the reduction).
// Launch: grid.x = rows (one block per row), block = 256 threads (a multiple of 32, at most 1024).
// Numerics: sum of squares in fp32, reduced across the block; the product is (x · r) · w, the order
//           HF's MistralRMSNorm uses.
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
