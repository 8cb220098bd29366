// adamw.cu — one AdamW step (decoupled weight decay), exactly as PyTorch's torch.optim.AdamW
// (single-tensor path) orders the arithmetic:
//   p ← p · decay                                   decay = 1 − lr·weight_decay
//   m ← m·β1 + (1 − β1)·g                           g = grad · grad_scale (gradient clipping)
//   v ← v·β2 + ((1 − β2)·g)·g
//   p ← p − step_size · m / (sqrt(v) / bias2_sqrt + eps)
//                                                   step_size = lr / (1 − β1^t), bias2_sqrt = sqrt(1 − β2^t)
// The scalars are computed by the host in double precision and passed as floats, as PyTorch does.
// Layout: param, grad, exp_avg (m), exp_avg_sq (v) F32, n elements each; updated in place.
// Launch: 1-D grid-stride, block = 256, grid = min(ceil(n / 256), 32 · SMs).
#include "clara_prelude.cuh"

extern "C" __global__ void clara_adamw(float* param, const float* grad, float* exp_avg, float* exp_avg_sq, long long n,
                                       float beta1, float one_minus_beta1, float beta2, float one_minus_beta2,
                                       float eps, float decay, float step_size, float bias2_sqrt, float grad_scale)
{
    CLARA_GRID_STRIDE(i, n)
    {
        const float g = grad[i] * grad_scale;
        const float m = exp_avg[i] * beta1 + g * one_minus_beta1;
        const float v = exp_avg_sq[i] * beta2 + (one_minus_beta2 * g) * g;
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
        const float denom = sqrtf(v) / bias2_sqrt + eps;
        param[i] = param[i] * decay - step_size * (m / denom);
    }
}
