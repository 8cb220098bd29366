// swiglu.cu — the gated activation of the Mistral MLP: out = silu(gate) · up, silu(g) = g / (1 + e^−g), and its backward.
//
// clara_swiglu: Layout: gate, up, output F32, n elements each (any shape, contiguous); output may alias either input.
// clara_swiglu_backward: with σ = 1 / (1 + e^−g) and dy the output gradient (both outputs written, not accumulated):
//   grad_gate = dy · up · σ · (1 + g · (1 − σ))     (PyTorch's silu backward, same order of operations)
//   grad_up   = dy · silu(g)
//   Every element is read before either output is written by the same thread, so the gradients may alias the inputs.
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

extern "C" __global__ void clara_swiglu_backward(const float* gate, const float* up, const float* grad_output,
                                                 float* grad_gate, float* grad_up, long long n)
{
    CLARA_GRID_STRIDE(i, n)
    {
        const float g = gate[i], u = up[i], dy = grad_output[i];
        const float e = 1.0f + expf(-g);
        const float s = 1.0f / e;
        grad_gate[i] = dy * u * s * (1.0f + g * (1.0f - s));
        grad_up[i] = dy * (g / e); // silu as the forward forms it, so g → −inf gives −0, not −inf · 0

    }
}
