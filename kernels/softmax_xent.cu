// softmax_xent.cu — row-wise log-softmax and the softmax cross-entropy loss with its gradient.
//
// clara_log_softmax:           out[r, j] = x[r, j] − max_r − log Σ_j exp(x[r, j] − max_r).
// clara_cross_entropy_forward: loss[r] = logsumexp(x[r, :]) − x[r, target[r]] (0 where target[r] ==
//                              ignore_index), and lse[r] = logsumexp(x[r, :]) kept for the backward.
// clara_cross_entropy_backward: grad[r, j] = scale · (softmax(x[r, :])_j − [j == target[r]]), 0 on ignored
//                              rows; softmax = exp(x − lse) / Σ_j exp(x − lse), so it sums to 1 despite lse's
//                              rounding. For PyTorch's reduction='mean' the caller passes scale =
//                              d(loss)/#non-ignored rows; grad may alias the logits.
// Layout: logits/out/grad F32 [rows, width] (width = the vocabulary); targets I32 [rows]; loss, lse F32 [rows].
// Launch: grid.x = rows (one block per row), block = 1024 threads (a multiple of 32).
// A target outside [0, width) that is not ignore_index raises CLARA_FAULT_INDEX_OUT_OF_RANGE and gives
// a NaN loss for that row.
#include "clara_prelude.cuh"

// max and log Σ exp(x − max) of one row, both available to every thread of the block.
__device__ __forceinline__ float row_logsumexp(const float* x, int width, float* scratch)
{
    float m = -CLARA_INF;
    for (int j = threadIdx.x; j < width; j += blockDim.x) m = fmaxf(m, x[j]);
    m = block_max(m, scratch);
    float sum = 0.0f;
    for (int j = threadIdx.x; j < width; j += blockDim.x) sum += expf(x[j] - m);
    sum = block_sum(sum, scratch);
    return m + logf(sum);
}

extern "C" __global__ void clara_log_softmax(const float* input, float* output, int width)
{
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    const float* x = input + row * width;
    float* y = output + row * width;
    const float lse = row_logsumexp(x, width, scratch);
    for (int j = threadIdx.x; j < width; j += blockDim.x) y[j] = x[j] - lse;
}

extern "C" __global__ void clara_cross_entropy_forward(const float* logits, const int* targets, float* losses,
                                                       float* logsumexp, int width, int ignore_index,
                                                       unsigned int* faults)
{
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    const float* x = logits + row * width;
    const float lse = row_logsumexp(x, width, scratch);
    if (threadIdx.x != 0) return;
    logsumexp[row] = lse;
    const int target = targets[row];
    if (target == ignore_index) { losses[row] = 0.0f; return; }
    if (target < 0 || target >= width)
    {
        atomicOr(faults, CLARA_FAULT_INDEX_OUT_OF_RANGE);
        losses[row] = __int_as_float(0x7fc00000);
        return;
    }
    losses[row] = lse - x[target];
}

extern "C" __global__ void clara_cross_entropy_backward(const float* logits, const int* targets, const float* logsumexp,
                                                        float* grad, int width, int ignore_index, float scale)
{
    __shared__ float scratch[32];
    const long long row = blockIdx.x;
    const float* x = logits + row * width;
    float* g = grad + row * width;
    const int target = targets[row];
    if (target == ignore_index)
    {
        for (int j = threadIdx.x; j < width; j += blockDim.x) g[j] = 0.0f;
        return;
    }
    // The saved lse is rounded to fp32: for logits near 50 (cosine scores over a temperature of 0.02) it is up to
    // 2e-6 off, which scales every probability alike, so the gradient no longer sums to 0. Dividing by the sum of
    // the probabilities as computed restores it (the sum is read before any write: grad may alias the logits).
    const float lse = logsumexp[row];
    float sum = 0.0f;
    for (int j = threadIdx.x; j < width; j += blockDim.x) sum += expf(x[j] - lse);
    sum = block_sum(sum, scratch);
    const float normaliser = 1.0f / sum;
    for (int j = threadIdx.x; j < width; j += blockDim.x)
        g[j] = scale * (expf(x[j] - lse) * normaliser - (j == target ? 1.0f : 0.0f));
}
