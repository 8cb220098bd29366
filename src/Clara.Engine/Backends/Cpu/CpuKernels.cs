using Clara.Engine.Training;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>The CPU backend's <see cref="IKernels"/>: each call forwards to the family's CPU twin.</summary>
internal sealed class CpuKernels(int threads) : IKernels
{
    public int Threads { get; } = threads;

    public void Embedding(Tensor ids, Tensor table, Tensor output) => CpuEmbedding.Forward(ids, table, output);
    public void RmsNorm(Tensor input, Tensor weight, float eps, Tensor output) => CpuRmsNorm.Forward(input, weight, eps, output);
    public void MatMul(Tensor input, Tensor weight, Tensor output, float alpha = 1f, float beta = 0f) =>
        CpuMatMul.Forward(input, weight, output, alpha, beta, Threads);
    public void Rope(Tensor input, Tensor positions, int headDim, float theta, Tensor output) =>
        CpuRope.Forward(input, positions, headDim, theta, output);
    public void WriteCache(Tensor source, Tensor cache, int start) => CpuAttention.WriteCache(source, cache, start);
    public void Attention(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output) =>
        CpuAttention.Forward(query, keyCache, valueCache, keyMask, layout, output, Threads);
    public void SwiGlu(Tensor gate, Tensor up, Tensor output) => CpuElementwise.SwiGlu(gate, up, output);
    public void Add(Tensor a, Tensor b, Tensor output) => CpuElementwise.Add(a, b, output);
    public void LogSoftmax(Tensor input, Tensor output) => CpuSoftmax.LogSoftmax(input, output);
    public void GatherRows(Tensor input, Tensor rows, Tensor output) => CpuRows.Gather(input, rows, output);
    public void ScatterRows(Tensor source, Tensor rows, Tensor target) => CpuRows.Scatter(source, rows, target);
    public void CosineScores(Tensor query, Tensor candidates, Tensor scores) => CpuRows.CosineScores(query, candidates, scores);

    // Training ops: implemented on the wip/kernels branch (CPU twins); this stub exists only until that lands.
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor output, float alpha = 1f, float beta = 0f) => throw Pending();
    public void AddScaled(Tensor a, Tensor b, float alpha, Tensor output) => throw Pending();
    public void Fill(Tensor output, float value) => throw Pending();
    public void Sum(Tensor input, float scale, Tensor output) => throw Pending();
    public void SumOfSquares(Tensor input, Tensor output) => throw Pending();
    public void ScatterAddRows(Tensor source, Tensor rows, Tensor target) => throw Pending();
    public void RmsNormBackward(Tensor input, Tensor weight, float eps, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight) => throw Pending();
    public void RopeBackward(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput) => throw Pending();
    public void SwiGluBackward(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp) => throw Pending();
    public void SequenceAttention(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output, Tensor logSumExp) => throw Pending();
    public void SequenceAttentionBackward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue) => throw Pending();
    public void CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor logSumExp) => throw Pending();
    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, int ignoreIndex, float scale, Tensor gradLogits) => throw Pending();
    public void AlignmentLoss(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean, Tensor mse) => throw Pending();
    public void AlignmentLossBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden) => throw Pending();
    public void CosineScoresBackward(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradQuery) => throw Pending();
    public void StraightThroughTopK(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices) => throw Pending();
    public void StraightThroughTopKBackward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores) => throw Pending();
    public void AdamWStep(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, AdamWScalars scalars, float gradScale) => throw Pending();

    private static NotImplementedException Pending([System.Runtime.CompilerServices.CallerMemberName] string op = "") =>
        new($"{op} is not implemented on this backend yet");
}
