// q8_gemv.cu — products with Q8_0 weights (llama.cpp's blocks: 32 int8 values along a row share one f16 scale):
//   output[m, n] = alpha · Σ_k x[m, k] · (scale[n, k / 32] · q[n, k]) + beta · output[m, n]   (beta = 0 never reads output)
//
// Layout: x F32 [M, K]; q I8 [N, K]; scales F16 [N, K / 32]; output F32 [M, N]; all row-major, K a multiple of 32
//         (the launcher checks), so every row of q starts 4-byte aligned and every x row 16-byte aligned.
// Launch: grid = (ceil(N / 8), M), block = 256: one warp per weight row n and input row m. Each lane reads four
//         consecutive int8 values (one 32-bit load) and the four matching inputs (one float4), so a warp covers 128
//         values (four blocks) per step, coalesced; lane l's four values lie in block (c + 4l) / 32.
// Numerics: int8 → fp32 exactly; four products summed in fp32, times the block's scale, accumulated in fp32 per
//         lane, then a warp sum. The CPU twin is Q8StreamedGemv's Widened kind (same values, other summation order).
#include "clara_prelude.cuh"

extern "C" __global__ void clara_q8_gemv(const float* x, const signed char* q, const f16* scales, float* output,
                                         int rows, int n, int k, float alpha, float beta)
{
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const long long row = (long long)blockIdx.x * (blockDim.x >> 5) + warp;
    const long long m = blockIdx.y;
    if (row >= n || m >= rows) return;
    const int* values = reinterpret_cast<const int*>(q + row * k);
    const f16* row_scales = scales + row * (k / 32);
    const float4* inputs = reinterpret_cast<const float4*>(x + m * k);
    float sum = 0.0f;
    for (int c = lane * 4; c < k; c += 128)
    {
        const int packed = values[c >> 2];
        const float4 v = inputs[c >> 2];
        const float products = (float)(signed char)(packed & 0xff) * v.x + (float)(signed char)((packed >> 8) & 0xff) * v.y
                             + (float)(signed char)((packed >> 16) & 0xff) * v.z + (float)(signed char)((packed >> 24) & 0xff) * v.w;
        sum = fmaf(to_float(row_scales[c >> 5]), products, sum);
    }
    sum = warp_sum(sum);
    if (lane == 0)
    {
        float* y = output + m * n + row;
        *y = beta == 0.0f ? alpha * sum : alpha * sum + beta * *y;
    }
}
