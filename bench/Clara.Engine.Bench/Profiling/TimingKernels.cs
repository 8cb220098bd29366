using System.Diagnostics;
using Clara.Engine.Backends;
using Clara.Engine.Tensors;
using Clara.Engine.Training;

namespace Clara.Engine.Bench.Profiling;

/// <summary>Times every call into another backend's kernels; matmuls are told apart by role (base weight or LoRA factor).</summary>
internal sealed class TimingKernels(IBackend backend) : IKernels
{
    private readonly IKernels _inner = backend.Kernels;

    public KernelProfile Profile { get; } = new();

    public void Embedding(Tensor ids, Tensor table, Tensor output) => Time("embedding", () => _inner.Embedding(ids, table, output));
    public void RmsNorm(Tensor input, Tensor weight, float eps, Tensor output) => Time("rmsnorm", () => _inner.RmsNorm(input, weight, eps, output));

    public void MatMul(Tensor input, Tensor weight, Tensor output, float alpha = 1f, float beta = 0f)
    {
        long m = input.Shape.Rows;
        int n = weight.Shape[0], k = weight.Shape[1];
        // LoRA factors are the thin products: x·Aᵀ has N = r, (x·Aᵀ)·Bᵀ has K = r.
        string role = k <= 64 ? "matmul lora B (K=r)" : n <= 64 ? "matmul lora A (N=r)" : n >= 16384 ? "matmul lm_head" : "matmul base";
        string rows = m <= 2 ? "gemv" : "gemm";
        Time($"{role} {rows} {weight.DType}", () => _inner.MatMul(input, weight, output, alpha, beta), 2.0 * m * n * k);
    }

    public void Rope(Tensor input, Tensor positions, int headDim, float theta, Tensor output) => Time("rope", () => _inner.Rope(input, positions, headDim, theta, output));
    public void WriteCache(Tensor source, Tensor cache, int start) => Time("write_cache", () => _inner.WriteCache(source, cache, start));

    public void Attention(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output) =>
        Time(layout.QueryLength == 1 ? "attention decode" : "attention prefill",
            () => _inner.Attention(query, keyCache, valueCache, keyMask, layout, output));

    public void SwiGlu(Tensor gate, Tensor up, Tensor output) => Time("swiglu", () => _inner.SwiGlu(gate, up, output));
    public void Add(Tensor a, Tensor b, Tensor output) => Time("add", () => _inner.Add(a, b, output));
    public void LogSoftmax(Tensor input, Tensor output) => Time("log_softmax", () => _inner.LogSoftmax(input, output));
    public void GatherRows(Tensor input, Tensor rows, Tensor output) => Time("gather_rows", () => _inner.GatherRows(input, rows, output));
    public void ScatterRows(Tensor source, Tensor rows, Tensor target) => Time("scatter_rows", () => _inner.ScatterRows(source, rows, target));
    public void CosineScores(Tensor query, Tensor candidates, Tensor scores) => Time("cosine_scores", () => _inner.CosineScores(query, candidates, scores));

    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor output, float alpha = 1f, float beta = 0f)
    {
        // Training products: told apart by orientation (N = as stored, T = transposed) and by role, from the sizes.
        int m = output.Shape[0], n = output.Shape[-1], k = transposeA ? a.Shape[0] : a.Shape[-1];
        int smallest = Math.Min(m, Math.Min(n, k)), largest = Math.Max(m, Math.Max(n, k));
        string role = smallest <= 64 ? "lora" : largest >= 16384 ? "lm_head" : "base";
        string name = $"gemm {role} {(transposeA ? 'T' : 'N')}{(transposeB ? 'T' : 'N')}{(beta != 0f ? " acc" : "")}";
        Time(name, () => _inner.Gemm(a, transposeA, b, transposeB, output, alpha, beta), 2.0 * m * n * k);
    }
    public void AddScaled(Tensor a, Tensor b, float alpha, Tensor output) => Time("add_scaled", () => _inner.AddScaled(a, b, alpha, output));
    public void Fill(Tensor output, float value) => Time("fill", () => _inner.Fill(output, value));
    public void Sum(Tensor input, float scale, Tensor output) => Time("sum", () => _inner.Sum(input, scale, output));
    public void SumOfSquares(Tensor input, Tensor output) => Time("sum_of_squares", () => _inner.SumOfSquares(input, output));
    public void ScatterAddRows(Tensor source, Tensor rows, Tensor target) => Time("scatter_add_rows", () => _inner.ScatterAddRows(source, rows, target));
    public void RmsNormBackward(Tensor input, Tensor weight, float eps, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight) =>
        Time("rmsnorm backward", () => _inner.RmsNormBackward(input, weight, eps, gradOutput, gradInput, gradWeight));
    public void RopeBackward(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput) =>
        Time("rope backward", () => _inner.RopeBackward(gradOutput, positions, headDim, theta, gradInput));
    public void SwiGluBackward(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp) =>
        Time("swiglu backward", () => _inner.SwiGluBackward(gate, up, gradOutput, gradGate, gradUp));
    public void SequenceAttention(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output, Tensor logSumExp) =>
        Time("attention training", () => _inner.SequenceAttention(query, key, value, keyMask, layout, output, logSumExp));
    public void SequenceAttentionBackward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue) =>
        Time("attention backward", () => _inner.SequenceAttentionBackward(query, key, value, keyMask, layout, output, logSumExp, gradOutput, gradQuery, gradKey, gradValue));
    public void CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor logSumExp) =>
        Time("cross_entropy", () => _inner.CrossEntropy(logits, targets, ignoreIndex, losses, logSumExp));
    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, int ignoreIndex, float scale, Tensor gradLogits) =>
        Time("cross_entropy backward", () => _inner.CrossEntropyBackward(logits, targets, logSumExp, ignoreIndex, scale, gradLogits));
    public void AlignmentLoss(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean, Tensor mse) =>
        Time("alignment", () => _inner.AlignmentLoss(hidden, roles, docMean, memMean, mse));
    public void AlignmentLossBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden) =>
        Time("alignment backward", () => _inner.AlignmentLossBackward(roles, docMean, memMean, gradScale, gradHidden));
    public void CosineScoresBackward(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradQuery) =>
        Time("cosine_scores backward", () => _inner.CosineScoresBackward(query, candidates, gradScores, gradQuery));
    public void CosineScoresBackwardCandidates(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradCandidates) =>
        Time("cosine_scores backward (candidates)", () => _inner.CosineScoresBackwardCandidates(query, candidates, gradScores, gradCandidates));
    public void StraightThroughTopK(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices) =>
        Time("topk", () => _inner.StraightThroughTopK(scores, k, temperature, hard, soft, indices));
    public void StraightThroughTopKBackward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores) =>
        Time("topk backward", () => _inner.StraightThroughTopKBackward(soft, gradWeights, temperature, gradScores));
    public void AdamWStep(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, AdamWScalars scalars, float gradScale) =>
        Time("adamw", () => _inner.AdamWStep(parameter, gradient, expAvg, expAvgSq, scalars, gradScale));

    private void Time(string category, Action call, double flops = 0)
    {
        var clock = Stopwatch.StartNew();
        call();
        backend.Synchronize();
        Profile.Add(category, clock.Elapsed.TotalSeconds, flops);
    }
}
