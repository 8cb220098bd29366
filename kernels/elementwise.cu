// elementwise.cu — element-by-element arithmetic on F32 tensors of equal shape.
//
// clara_add: output = a + b (the residual connections). output may alias a or b.
// Layout: contiguous, n elements. Launch: 1-D grid-stride, block = 256, grid = min(ceil(n / 256), 32 · SMs).
#include "clara_prelude.cuh"

extern "C" __global__ void clara_add(const float* a, const float* b, float* output, long long n)
{
    CLARA_GRID_STRIDE(i, n) output[i] = a[i] + b[i];
}
