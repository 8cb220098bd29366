using Clara.Engine.Training;
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

    public void Dispose()
    {
        _matMul.Dispose();
        _cosine.Dispose();
        _rope.Dispose();
    }
}
