// cast.cu — conversions between the storage types: f32 ↔ bf16 ↔ f16.
//
// Narrowing rounds to nearest even (bf16 like PyTorch's .to(torch.bfloat16), f16 like cvt.rn);
// NaN stays NaN; f16 overflows to ±inf. bf16 ↔ f16 goes through fp32, which is exact for the widening step.
// Layout: contiguous, n elements. Launch: 1-D grid-stride, block = 256, grid = min(ceil(n / 256), 32 · SMs).
#include "clara_prelude.cuh"

template <typename From, typename To>
__device__ void cast(const From* input, To* output, long long n)
{
    CLARA_GRID_STRIDE(i, n) output[i] = from_float<To>(to_float(input[i]));
}

extern "C" __global__ void clara_cast_f32_bf16(const float* input, bf16* output, long long n) { cast(input, output, n); }
extern "C" __global__ void clara_cast_f32_f16(const float* input, f16* output, long long n) { cast(input, output, n); }
extern "C" __global__ void clara_cast_bf16_f32(const bf16* input, float* output, long long n) { cast(input, output, n); }
extern "C" __global__ void clara_cast_f16_f32(const f16* input, float* output, long long n) { cast(input, output, n); }
extern "C" __global__ void clara_cast_bf16_f16(const bf16* input, f16* output, long long n) { cast(input, output, n); }
extern "C" __global__ void clara_cast_f16_bf16(const f16* input, bf16* output, long long n) { cast(input, output, n); }
