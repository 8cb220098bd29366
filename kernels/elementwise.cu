// elementwise.cu — element-by-element arithmetic on F32 tensors.
//
// clara_add:        output = a + b (the residual connections). output may alias a or b.
// clara_add_scaled: output = a + alpha · b (gradient accumulation, SGD-like updates). output may alias a or b.
// clara_fill:       output = value everywhere (zeroing gradients, seeding dL/dL = 1).
// Layout: contiguous, n elements each. Launch: 1-D grid-stride, block = 256, grid = min(ceil(n / 256), 32 · SMs).
#include "clara_prelude.cuh"

extern "C" __global__ void clara_add(const float* a, const float* b, float* output, long long n)
{
    CLARA_GRID_STRIDE(i, n) output[i] = a[i] + b[i];
}

extern "C" __global__ void clara_add_scaled(const float* a, const float* b, float* output, long long n, float alpha)
{
    CLARA_GRID_STRIDE(i, n) output[i] = a[i] + alpha * b[i];
}

extern "C" __global__ void clara_fill(float* output, long long n, float value)
{
    CLARA_GRID_STRIDE(i, n) output[i] = value;
}
