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
}
