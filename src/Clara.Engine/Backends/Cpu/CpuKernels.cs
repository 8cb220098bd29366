using Clara.Engine.Training;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>The CPU backend's <see cref="IKernels"/>: each call forwards to the family's CPU twin.</summary>
internal sealed class CpuKernels(int threads) : IKernels
{
    public int Threads { get; } = threads;

    public void Embedding(Tensor ids, Tensor table, Tensor output) => CpuEmbedding.Forward(ids, table, output);
    public void RmsNorm(Tensor input, Tensor weight, float eps, Tensor output) => CpuRmsNorm.Forward(input, weight, eps, output, Threads);
    public void MatMul(Tensor input, Tensor weight, Tensor output, float alpha = 1f, float beta = 0f) =>
        CpuMatMul.Forward(input, weight, output, alpha, beta, Threads);
    public void Rope(Tensor input, Tensor positions, int headDim, float theta, Tensor output) =>
        CpuRope.Forward(input, positions, headDim, theta, output, Threads);
    public void WriteCache(Tensor source, Tensor cache, int start) => CpuAttention.WriteCache(source, cache, start);
    public void Attention(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output) =>
        CpuAttention.Forward(query, keyCache, valueCache, keyMask, layout, output, Threads);
    public void SwiGlu(Tensor gate, Tensor up, Tensor output) => CpuElementwise.SwiGlu(gate, up, output, Threads);
    public void Add(Tensor a, Tensor b, Tensor output) => CpuElementwise.Add(a, b, output, Threads);
    public void LogSoftmax(Tensor input, Tensor output) => CpuSoftmax.LogSoftmax(input, output);
    public void GatherRows(Tensor input, Tensor rows, Tensor output) => CpuRows.Gather(input, rows, output);
    public void ScatterRows(Tensor source, Tensor rows, Tensor target) => CpuRows.Scatter(source, rows, target);
    public void CosineScores(Tensor query, Tensor candidates, Tensor scores) => CpuRows.CosineScores(query, candidates, scores);

    // Training ops: each checks its operands with the op's rules type (Backends/Ops) and runs its CPU twin.
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor output, float alpha = 1f, float beta = 0f) =>
        CpuGemm.Run(a, transposeA, b, transposeB, output, alpha, beta, Threads);
    public void AddScaled(Tensor a, Tensor b, float alpha, Tensor output) => CpuVectorOps.AddScaled(a, b, alpha, output, Threads);
    public void Fill(Tensor output, float value) => CpuVectorOps.Fill(output, value);
    public void Sum(Tensor input, float scale, Tensor output) => CpuReductions.Sum(input, scale, output);
    public void SumOfSquares(Tensor input, Tensor output) => CpuReductions.SumOfSquares(input, output);
    public void ScatterAddRows(Tensor source, Tensor rows, Tensor target) => CpuScatterAdd.Rows(source, rows, target);
    public void RmsNormBackward(Tensor input, Tensor weight, float eps, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight) =>
        CpuRmsNormBackward.Run(input, weight, eps, gradOutput, gradInput, gradWeight, Threads);
    public void RopeBackward(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput) =>
        CpuRopeBackward.Run(gradOutput, positions, headDim, theta, gradInput, Threads);
    public void SwiGluBackward(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp) =>
        CpuSwiGluBackward.Run(gate, up, gradOutput, gradGate, gradUp, Threads);
    public void SequenceAttention(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output, Tensor logSumExp) =>
        CpuSequenceAttention.Forward(query, key, value, keyMask, layout, output, logSumExp, Threads);
    public void SequenceAttentionBackward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue) =>
        CpuSequenceAttention.Backward(query, key, value, keyMask, layout, output, logSumExp, gradOutput, gradQuery, gradKey, gradValue, Threads);
    public void CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor logSumExp) =>
        CpuLosses.CrossEntropy(logits, targets, ignoreIndex, losses, logSumExp, Threads);
    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, int ignoreIndex, float scale, Tensor gradLogits) =>
        CpuLosses.CrossEntropyBackward(logits, targets, logSumExp, ignoreIndex, scale, gradLogits, Threads);
    public void AlignmentLoss(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean, Tensor mse) =>
        CpuLosses.AlignmentLoss(hidden, roles, docMean, memMean, mse);
    public void AlignmentLossBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden) =>
        CpuLosses.AlignmentLossBackward(roles, docMean, memMean, gradScale, gradHidden);
    public void CosineScoresBackward(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradQuery) =>
        CpuCosineBackward.Run(query, candidates, gradScores, gradQuery);
    public void CosineScoresBackwardCandidates(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradCandidates) =>
        CpuCosineBackward.Candidates(query, candidates, gradScores, gradCandidates);
    public void StraightThroughTopK(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices) =>
        CpuTopK.Forward(scores, k, temperature, hard, soft, indices);
    public void StraightThroughTopKBackward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores) =>
        CpuTopK.Backward(soft, gradWeights, temperature, gradScores);
    public void AdamWStep(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, AdamWScalars scalars, float gradScale) =>
        CpuAdamW.Step(parameter, gradient, expAvg, expAvgSq, scalars, gradScale, Threads);
}
