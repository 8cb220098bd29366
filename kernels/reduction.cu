// reduction.cu — whole-tensor reductions to one number: the loss sum and the squared gradient norm.
//
// clara_sum_partials: partials[block] = Σ f(x[i]) over the block's grid-stride share of [0, n), with f(x) = x
//   (squares = 0) or x² (squares = 1). Launch: grid.x = G ≤ 1024 blocks, block = 256 threads.
// clara_sum_finish: output[0] = scale · Σ_block partials[block]. Launch: grid.x = 1, block = 1024 threads, G ≤ 1024.
// Numerics: every element is widened to double before it is added, and the partials are double, so the result
//   is the fp32 rounding of a double-precision sum (well inside "pairwise fp32 or wider"). The grid, the per-thread
//   order and the tree reductions are fixed by (n, G), so the same input gives the same bits on every run.
// Layout: x F32 [n]; partials F64 [G] (scratch); output F32 [1].
#include "clara_prelude.cuh"

extern "C" __global__ void clara_sum_partials(const float* x, double* partials, long long n, int squares)
{
    __shared__ double scratch[32];
    double sum = 0.0;
    CLARA_GRID_STRIDE(i, n)
    {
        const double v = (double)x[i];
        sum += squares ? v * v : v;
    }
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

extern "C" __global__ void clara_sum_finish(const double* partials, int count, float scale, float* output)
{
    __shared__ double scratch[32];
    double sum = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) sum += partials[i];
    sum = block_sum(sum, scratch);
    if (threadIdx.x == 0) output[0] = (float)((double)scale * sum);
}
