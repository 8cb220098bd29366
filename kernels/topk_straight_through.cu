// topk_straight_through.cu — the differentiable top-k of spec §4.
//
// Forward, per batch row of N scores s, temperature τ (the caller passes max(τ, 1e-6)), k ≤ N:
//   z = s / τ; idx = the k largest z, best first (ties: lower index first);
//   for slot j: taken = the picks of slots < j, P[j] = softmax(z + log(1 − taken + 1e-8)),
//   H[j, idx_j] = 1 (0 elsewhere). The straight-through weight W = H + (P − stopgrad(P)) has the
//   value H; P is kept for the backward.
// Backward, given dL/dW [k, N] (which is dL/dP, since W's gradient is P's):
//   dL/dz_i = Σ_j P[j, i] · (dW[j, i] − Σ_l dW[j, l] P[j, l]),   dL/ds = dL/dz / τ.
//   The taken mask carries no gradient (it is a function of the hard picks).
// Layout: scores F32 [B, N]; hard, soft, grad_weights F32 [B, k, N]; indices I32 [B, k]; grad_scores F32 [B, N].
// Launch: grid.x = B (one block per row), block = 256.
//   A NaN score is refused as on the CPU: the forward raises CLARA_FAULT_NAN_INPUT for the host to report.
//   forward dynamic shared memory: 2·N floats (z and the taken mask); backward: k floats.
//   The documented maximum is N ≤ (the device's per-block opt-in limit − this kernel's static shared memory) / 8,
//   which the launcher computes from cuFuncGetAttribute/cuDeviceGetAttribute, opting in above 48 KiB:
//   the driver reports 256 B static on sm_80 and on sm_90 (an sm_90 CUBIN's .nv.shared section also counts the
//   1 KiB the hardware reserves per block, 1 280 B, but the driver leaves the reserve out: measured on an H200,
//   driver 580, NVRTC 13), so N ≤ 20 832 on an A100 (163 KiB) and N ≤ 29 024 on an H100/H200 (227 KiB; launched
//   and checked against the CPU twin on an H200).
// Numerics: the mask term is computed literally, logf(1 − taken + 1e-8) in fp32: 0 for free entries
//   (1 + 1e-8 rounds to 1) and log(1e-8) ≈ −18.42 for taken ones — which does not fully exclude them.
#include "clara_prelude.cuh"

extern "C" __global__ void clara_topk_st_forward(const float* scores, float* hard, float* soft, int* indices,
                                                 int n, int k, float temperature, unsigned int* faults)
{
    extern __shared__ float shared[];
    __shared__ float scratch[32];
    __shared__ int scratch_indices[32];
    float* z = shared;        // [n]
    float* taken = shared + n; // [n], 0 or 1
    const long long b = blockIdx.x;

    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        const float s = scores[b * n + i];
        if (s != s) atomicOr(faults, CLARA_FAULT_NAN_INPUT);
        z[i] = s / temperature;
        taken[i] = 0.0f;
    }
    __syncthreads();

    for (int j = 0; j < k; j++)
    {
        // Hard pick: the best z not taken yet.
        ranked best;
        best.value = -CLARA_INF;
        best.index = -1;
        for (int i = threadIdx.x; i < n; i += blockDim.x)
            if (taken[i] == 0.0f && ranks_before(z[i], i, best.value, best.index)) { best.value = z[i]; best.index = i; }
        best = block_best(best, scratch, scratch_indices);
        const int pick = best.index;

        // Soft distribution of this slot, masked by the picks of earlier slots only.
        float m = -CLARA_INF;
        for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, z[i] + logf(1.0f - taken[i] + 1e-8f));
        m = block_max(m, scratch);
        float sum = 0.0f;
        for (int i = threadIdx.x; i < n; i += blockDim.x) sum += expf(z[i] + logf(1.0f - taken[i] + 1e-8f) - m);
        sum = block_sum(sum, scratch);

        float* soft_row = soft + (b * k + j) * n;
        float* hard_row = hard + (b * k + j) * n;
        for (int i = threadIdx.x; i < n; i += blockDim.x)
        {
            soft_row[i] = expf(z[i] + logf(1.0f - taken[i] + 1e-8f) - m) / sum;
            hard_row[i] = i == pick ? 1.0f : 0.0f;
        }
        if (threadIdx.x == 0) indices[b * k + j] = pick;
        __syncthreads(); // everyone has read taken[] for slot j before it changes
        if (threadIdx.x == 0 && pick >= 0) taken[pick] = 1.0f;
        __syncthreads();
    }
}

extern "C" __global__ void clara_topk_st_backward(const float* soft, const float* grad_weights, float* grad_scores,
                                                  int n, int k, float temperature)
{
    extern __shared__ float dots[]; // [k]: Σ_l dW[j, l] P[j, l]
    __shared__ float scratch[32];
    const long long b = blockIdx.x;

    for (int j = 0; j < k; j++)
    {
        const float* p = soft + (b * k + j) * n;
        const float* g = grad_weights + (b * k + j) * n;
        float dot = 0.0f;
        for (int i = threadIdx.x; i < n; i += blockDim.x) dot += g[i] * p[i];
        dot = block_sum(dot, scratch);
        if (threadIdx.x == 0) dots[j] = dot;
    }
    __syncthreads();

    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        float grad = 0.0f;
        for (int j = 0; j < k; j++)
        {
            const long long at = (b * k + j) * n + i;
            grad += soft[at] * (grad_weights[at] - dots[j]);
        }
        grad_scores[b * n + i] = grad / temperature;
    }
}
