using Clara.Engine.Native.Cublas;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>The CUDA backend's <see cref="IKernels"/>: each call forwards to its family's launcher.</summary>
internal sealed class CudaKernels : IKernels, IDisposable
{
    private readonly EmbeddingLauncher _embedding;
    private readonly RmsNormLauncher _rmsNorm;
    private readonly CublasMatMul _matMul;
    private readonly RopeLauncher _rope;
    private readonly AttentionLauncher _attention;
    private readonly ElementwiseLauncher _elementwise;
    private readonly SoftmaxLauncher _softmax;
    private readonly RowsLauncher _rows;
    private readonly CosineRerankLauncher _cosine;
    private readonly CudaMatMulPrecision _matMulPrecision;

    public CudaKernels(KernelLauncher launcher, CublasHandle blas, CudaContext context, CudaMatMulPrecision matMulPrecision)
    {
        _embedding = new EmbeddingLauncher(launcher);
        _rmsNorm = new RmsNormLauncher(launcher);
        _matMul = new CublasMatMul(launcher, blas, context);
        _matMulPrecision = matMulPrecision;
        _rope = new RopeLauncher(launcher, context);
        _attention = new AttentionLauncher(launcher);
        _elementwise = new ElementwiseLauncher(launcher);
        _softmax = new SoftmaxLauncher(launcher);
        _rows = new RowsLauncher(launcher);
        _cosine = new CosineRerankLauncher(launcher, context);
    }

    public void Embedding(Tensor ids, Tensor table, Tensor output) => _embedding.Forward(ids, table, output);
    public void RmsNorm(Tensor input, Tensor weight, float eps, Tensor output) => _rmsNorm.Forward(input, weight, eps, output);
    public void MatMul(Tensor input, Tensor weight, Tensor output, float alpha = 1f, float beta = 0f) => _matMul.Forward(input, weight, output, alpha, beta, _matMulPrecision);

    /// <summary><see cref="MatMul"/> with the precision chosen per call (see <see cref="CudaMatMulPrecision"/>).</summary>
    public void MatMul(Tensor input, Tensor weight, Tensor output, float alpha, float beta, CudaMatMulPrecision precision) =>
        _matMul.Forward(input, weight, output, alpha, beta, precision);
    public void Rope(Tensor input, Tensor positions, int headDim, float theta, Tensor output) => _rope.Forward(input, positions, headDim, theta, output);
    public void WriteCache(Tensor source, Tensor cache, int start) => _attention.WriteCache(source, cache, start);
    public void Attention(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output) =>
        _attention.Forward(query, keyCache, valueCache, keyMask, layout, output);
    public void SwiGlu(Tensor gate, Tensor up, Tensor output) => _elementwise.SwiGlu(gate, up, output);
    public void Add(Tensor a, Tensor b, Tensor output) => _elementwise.Add(a, b, output);
    public void LogSoftmax(Tensor input, Tensor output) => _softmax.LogSoftmax(input, output);
    public void GatherRows(Tensor input, Tensor rows, Tensor output) => _rows.Gather(input, rows, output);
    public void ScatterRows(Tensor source, Tensor rows, Tensor target) => _rows.Scatter(source, rows, target);
    public void CosineScores(Tensor query, Tensor candidates, Tensor scores) => _cosine.Scores(query, candidates, scores);

    /// <summary>Cosine scores and the indices of the <paramref name="k"/> best, best first, in one pass over the candidates.</summary>
    public void CosineTopK(Tensor query, Tensor candidates, int k, Tensor scores, Tensor topk) => _cosine.TopK(query, candidates, k, scores, topk);

    public void Dispose()
    {
        _matMul.Dispose();
        _cosine.Dispose();
        _rope.Dispose();
    }
}
