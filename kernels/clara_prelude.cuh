// clara_prelude.cuh — the one header every Clara kernel includes.
//
// NVRTC compiles these kernels at run time without include paths, so nothing from the CUDA toolkit
// headers (cuda_bf16.h, cuda_fp16.h, <cstdint>) is available. This file supplies what the kernels need
// instead, self-contained and identical under NVRTC 11.8 and 13:
//   - bf16 and f16 storage types (16-bit patterns) with conversions to and from fp32;
//   - overloaded to_float() so one template body serves F32, BF16 and F16 storage;
//   - warp and block reductions (sum, max, argmax);
//   - the fault flags kernels raise for bad indices, which the host checks at synchronisation.
// Convention everywhere: 16-bit (or fp32) storage, fp32 arithmetic and accumulation.
#pragma once

#define CLARA_FULL_MASK 0xffffffffu

// +infinity without math.h.
#define CLARA_INF __int_as_float(0x7f800000)

// Bits OR-ed into the backend's fault word (see CudaFaultFlags.cs) when an index operand is invalid.
// A kernel cannot throw, so it writes NaN for the affected output row and raises the flag instead.
#define CLARA_FAULT_INDEX_OUT_OF_RANGE 1u
// Raised by kernels whose contract refuses NaN inputs (the straight-through top-k's scores).
#define CLARA_FAULT_NAN_INPUT 2u

// ---- 16-bit storage types -------------------------------------------------------------------------

// bfloat16: the upper half of an IEEE fp32.
struct bf16 { unsigned short bits; };

// IEEE binary16.
struct f16 { unsigned short bits; };

__device__ __forceinline__ float to_float(float x) { return x; }

__device__ __forceinline__ float to_float(bf16 x) { return __uint_as_float(((unsigned int)x.bits) << 16); }

__device__ __forceinline__ float to_float(f16 x)
{
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(x.bits));
    return f;
}

// Round to nearest even, as PyTorch's .to(torch.bfloat16) and the CPU backend's FloatBits do;
// NaN stays a (quiet) NaN.
__device__ __forceinline__ bf16 bf16_from_float(float f)
{
    unsigned int u = __float_as_uint(f);
    bf16 r;
    if ((u & 0x7fffffffu) > 0x7f800000u) { r.bits = (unsigned short)((u >> 16) | 0x40u); return r; }
    u += 0x7fffu + ((u >> 16) & 1u);
    r.bits = (unsigned short)(u >> 16);
    return r;
}

// Round to nearest even (the PTX cvt.rn rounding), saturating to ±inf like IEEE conversion does.
__device__ __forceinline__ f16 f16_from_float(float f)
{
    f16 r;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(r.bits) : "f"(f));
    return r;
}

// from_float<T>(x): the storage value of type T nearest to x.
template <typename T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ float from_float<float>(float x) { return x; }
template <> __device__ __forceinline__ bf16 from_float<bf16>(float x) { return bf16_from_float(x); }
template <> __device__ __forceinline__ f16 from_float<f16>(float x) { return f16_from_float(x); }

// ---- reductions ------------------------------------------------------------------------------------
// Block reductions require blockDim.x to be a multiple of 32 (every lane of every warp active) and at
// most 1024; every thread receives the result. `scratch` is __shared__ storage of 32 elements, and may
// be reused by consecutive reductions (each one synchronises before writing it).

// T is float or double (the whole-tensor sums accumulate in double).
template <typename T>
__device__ __forceinline__ T warp_sum(T v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(CLARA_FULL_MASK, v, offset);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(CLARA_FULL_MASK, v, offset));
    return v;
}

template <typename T>
__device__ __forceinline__ T block_sum(T v, T* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    return warp_sum(lane < warps ? scratch[lane] : (T)0);
}

__device__ __forceinline__ float block_max(float v, float* scratch)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    return warp_max(lane < warps ? scratch[lane] : -CLARA_INF);
}

// Orders (value, index) pairs: larger value first, then smaller index, so the result of a top-k is
// deterministic under ties. NaN ranks below everything, like -inf, and an index of -1 means "none".
__device__ __forceinline__ bool ranks_before(float value, int index, float other_value, int other_index)
{
    if (value != value) value = -CLARA_INF;
    if (other_value != other_value) other_value = -CLARA_INF;
    if (other_index < 0) return index >= 0;
    if (index < 0) return false;
    return value > other_value || (value == other_value && index < other_index);
}

struct ranked { float value; int index; };

__device__ __forceinline__ ranked warp_best(ranked r)
{
    for (int offset = 16; offset > 0; offset >>= 1)
    {
        float v = __shfl_xor_sync(CLARA_FULL_MASK, r.value, offset);
        int i = __shfl_xor_sync(CLARA_FULL_MASK, r.index, offset);
        if (ranks_before(v, i, r.value, r.index)) { r.value = v; r.index = i; }
    }
    return r;
}

// The best (value, index) pair of the block by ranks_before; threads with nothing pass index -1.
__device__ __forceinline__ ranked block_best(ranked r, float* scratch_values, int* scratch_indices)
{
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    r = warp_best(r);
    __syncthreads();
    if (lane == 0) { scratch_values[warp] = r.value; scratch_indices[warp] = r.index; }
    __syncthreads();
    ranked w;
    w.value = lane < warps ? scratch_values[lane] : -CLARA_INF;
    w.index = lane < warps ? scratch_indices[lane] : -1;
    return warp_best(w);
}

// A grid-stride loop index over [0, n) that cannot overflow for n ≥ 2^31.
#define CLARA_GRID_STRIDE(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)gridDim.x * blockDim.x)

// One block copies row `index` of a [count, width] table into `out` as fp32 (embedding lookups and memory-token
// gathers share it). An index outside [0, count) never reads the table: the row becomes NaN and
// CLARA_FAULT_INDEX_OUT_OF_RANGE is raised for the host to report.
template <typename T>
__device__ __forceinline__ void gather_row_checked(const T* table, int index, int count, int width, float* out,
                                                   unsigned int* faults)
{
    if (index < 0 || index >= count)
    {
        if (threadIdx.x == 0) atomicOr(faults, CLARA_FAULT_INDEX_OUT_OF_RANGE);
        for (int i = threadIdx.x; i < width; i += blockDim.x) out[i] = __int_as_float(0x7fc00000);
        return;
    }
    const T* src = table + (long long)index * width;
    for (int i = threadIdx.x; i < width; i += blockDim.x) out[i] = to_float(src[i]);
}
