// swiglu.cu — the gated activation of the Mistral MLP: out = silu(gate) · up, silu(g) = g / (1 + e^−g).
//
// Layout: gate, up, output F32, n elements each (any shape, contiguous); output may alias either input.
// Launch: 1-D grid-stride, block = 256, grid = min(ceil(n / 256), 32 · SMs).
// Numerics: accurate expf; for g → −inf, e^−g overflows to inf and silu → −0, as in PyTorch.
#include "clara_prelude.cuh"

extern "C" __global__ void clara_swiglu(const float* gate, const float* up, float* output, long long n)
{
    CLARA_GRID_STRIDE(i, n)
    {
        const float g = gate[i];
        output[i] = g / (1.0f + expf(-g)) * up[i];
    }
}
