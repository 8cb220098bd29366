// rope.cu — rotary position embedding in the HF "rotate_half" layout (Mistral, Llama), and its backward.
//
// For each row (token) at position p, each head, and i in [0, head_dim/2):
//   angle = p · inv_freq[i]   (inv_freq[i] = 1 / theta^(2i / head_dim), computed once on the host in
//                              fp32 exactly as HF does, so GPU and CPU rotate by identical angles),
//   y[i]            = x[i] · cos(angle) − x[i + half] · sin(angle)
//   y[i + half]     = x[i + half] · cos(angle) + x[i] · sin(angle)
// which is HF's  x·cos + rotate_half(x)·sin  with cos/sin duplicated over both halves.
// clara_rope_backward applies the transposed (inverse) rotation, angle → −angle, to the output gradient:
//   dx[i] = dy[i] · cos + dy[i + half] · sin,   dx[i + half] = dy[i + half] · cos − dy[i] · sin.
//
// Layout: input, output F32 [rows, heads·head_dim] (output may alias input: each thread reads both
//         elements of its pair before writing them); positions I32 [rows]; inv_freq F32 [head_dim/2].
//         head_dim is even.
// Launch: grid.x = rows, block = 128 threads striding over the heads·head_dim/2 pairs of the row.
// Numerics: the angle is one fp32 product; accurate sincosf (no fast math, full argument reduction for large angles).
#include "clara_prelude.cuh"

// direction = +1 rotates by the angle (forward), −1 by its negation (backward): sin(−a) = −sin(a), cos(−a) = cos(a).
__device__ __forceinline__ void rope_row(const float* input, const int* positions, const float* inv_freq, float* output,
                                         int heads, int head_dim, float direction)
{
    const long long row = blockIdx.x;
    const int half = head_dim / 2;
    const int width = heads * head_dim;
    const float position = (float)positions[row];
    const float* x = input + row * width;
    float* y = output + row * width;

    for (int pair = threadIdx.x; pair < heads * half; pair += blockDim.x)
    {
        const int head = pair / half, i = pair % half;
        float s, c;
        sincosf(position * inv_freq[i], &s, &c);
        s *= direction;
        const int lo = head * head_dim + i, hi = lo + half;
        const float x1 = x[lo], x2 = x[hi];
        y[lo] = x1 * c - x2 * s;
        y[hi] = x2 * c + x1 * s;
    }
}

extern "C" __global__ void clara_rope(const float* input, const int* positions, const float* inv_freq,
                                      float* output, int heads, int head_dim)
{ rope_row(input, positions, inv_freq, output, heads, head_dim, 1.0f); }

extern "C" __global__ void clara_rope_backward(const float* grad_output, const int* positions, const float* inv_freq,
                                               float* grad_input, int heads, int head_dim)
{ rope_row(grad_output, positions, inv_freq, grad_input, heads, head_dim, -1.0f); }
