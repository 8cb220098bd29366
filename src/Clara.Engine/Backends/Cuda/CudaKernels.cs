using Clara.Engine.Native.Cublas;
using Clara.Engine.Native.Cuda;
using Clara.Engine.Training;

namespace Clara.Engine.Backends.Cuda;

/// <summary>The CUDA backend's <see cref="IKernels"/>: each call forwards to its family's launcher, which checks the operands with the op's rules type.</summary>
internal sealed class CudaKernels : IKernels, IDisposable
{
    private readonly EmbeddingLauncher _embedding;
    private readonly RmsNormLauncher _rmsNorm;
    private readonly CublasMatMul _matMul;
    private readonly Q8GemvLauncher _q8;
    private readonly RopeLauncher _rope;
    private readonly AttentionLauncher _attention;
    private readonly SequenceAttentionLauncher _sequenceAttention;
    private readonly ElementwiseLauncher _elementwise;
    private readonly ReductionLauncher _reduction;
    private readonly SoftmaxLauncher _softmax;
    private readonly RowsLauncher _rows;
    private readonly CosineRerankLauncher _cosine;
    private readonly MemoryAlignmentLauncher _alignment;
    private readonly TopKStraightThroughLauncher _topK;
    private readonly AdamWLauncher _adamW;
    private readonly CastLauncher _cast;
    private readonly CudaMatMulPrecision _matMulPrecision;

    public CudaKernels(KernelLauncher launcher, CublasHandle blas, CudaContext context, CudaMatMulPrecision matMulPrecision)
    {
        _embedding = new EmbeddingLauncher(launcher);
        _rmsNorm = new RmsNormLauncher(launcher, context);
        _matMul = new CublasMatMul(launcher, blas, context);
        _q8 = new Q8GemvLauncher(launcher);
        _matMulPrecision = matMulPrecision;
        _rope = new RopeLauncher(launcher, context);
        _attention = new AttentionLauncher(launcher);
        _sequenceAttention = new SequenceAttentionLauncher(launcher, context);
        _elementwise = new ElementwiseLauncher(launcher);
        _reduction = new ReductionLauncher(launcher, context);
        _softmax = new SoftmaxLauncher(launcher);
        _rows = new RowsLauncher(launcher);
        _cosine = new CosineRerankLauncher(launcher, context);
        _alignment = new MemoryAlignmentLauncher(launcher);
        _topK = new TopKStraightThroughLauncher(launcher);
        _adamW = new AdamWLauncher(launcher);
        _cast = new CastLauncher(launcher);
    }

    public void Embedding(Tensor ids, Tensor table, Tensor output) => _embedding.Forward(ids, table, output);
    public void RmsNorm(Tensor input, Tensor weight, float eps, Tensor output) => _rmsNorm.Forward(input, weight, eps, output);
    public void MatMul(Tensor input, Tensor weight, Tensor output, float alpha = 1f, float beta = 0f) =>
        MatMul(input, weight, output, alpha, beta, _matMulPrecision);

    /// <summary><see cref="MatMul"/> with the precision chosen per call (see <see cref="CudaMatMulPrecision"/>).</summary>
    public void MatMul(Tensor input, Tensor weight, Tensor output, float alpha, float beta, CudaMatMulPrecision precision)
    {
        // cuBLAS has no Q8_0 type: such weights go to a kernel of their own (any row count, fp32 arithmetic).
        if (weight.DType == Tensors.DType.Q8_0) _q8.Forward(input, weight, output, alpha, beta);
        else _matMul.Forward(input, weight, output, alpha, beta, precision);
    }

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

    /// <summary>Converts between F32, BF16 and F16 storage (same element count), rounding to nearest even.</summary>
    public void Cast(Tensor source, Tensor destination) => _cast.Forward(source, destination);

    // ---- Training
    public void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor output, float alpha = 1f, float beta = 0f) =>
        _matMul.Gemm(a, transposeA, b, transposeB, output, alpha, beta, _matMulPrecision);
    public void AddScaled(Tensor a, Tensor b, float alpha, Tensor output) => _elementwise.AddScaled(a, b, alpha, output);
    public void Fill(Tensor output, float value) => _elementwise.Fill(output, value);
    public void Sum(Tensor input, float scale, Tensor output) => _reduction.Sum(input, scale, output);
    public void SumOfSquares(Tensor input, Tensor output) => _reduction.SumOfSquares(input, output);
    public void ScatterAddRows(Tensor source, Tensor rows, Tensor target) => _rows.ScatterAdd(source, rows, target);
    public void RmsNormBackward(Tensor input, Tensor weight, float eps, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight) =>
        _rmsNorm.Backward(input, weight, eps, gradOutput, gradInput, gradWeight);
    public void RopeBackward(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput) =>
        _rope.Backward(gradOutput, positions, headDim, theta, gradInput);
    public void SwiGluBackward(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp) =>
        _elementwise.SwiGluBackward(gate, up, gradOutput, gradGate, gradUp);
    public void SequenceAttention(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output, Tensor logSumExp) =>
        _sequenceAttention.Forward(query, key, value, keyMask, layout, output, logSumExp);
    public void SequenceAttentionBackward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue) =>
        _sequenceAttention.Backward(query, key, value, keyMask, layout, output, logSumExp, gradOutput, gradQuery, gradKey, gradValue);
    public void CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor logSumExp) =>
        _softmax.CrossEntropy(logits, targets, ignoreIndex, losses, logSumExp);
    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, int ignoreIndex, float scale, Tensor gradLogits) =>
        _softmax.CrossEntropyBackward(logits, targets, logSumExp, ignoreIndex, scale, gradLogits);
    public void AlignmentLoss(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean, Tensor mse) =>
        _alignment.Forward(hidden, roles, docMean, memMean, mse);
    public void AlignmentLossBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden) =>
        _alignment.Backward(roles, docMean, memMean, gradScale, gradHidden);
    public void CosineScoresBackward(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradQuery) =>
        _cosine.Backward(query, candidates, gradScores, gradQuery);
    public void CosineScoresBackwardCandidates(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradCandidates) =>
        _cosine.BackwardCandidates(query, candidates, gradScores, gradCandidates);
    public void StraightThroughTopK(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices) =>
        _topK.Forward(scores, k, temperature, hard, soft, indices);
    public void StraightThroughTopKBackward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores) =>
        _topK.Backward(soft, gradWeights, temperature, gradScores);
    /// <summary>The most candidates per row the straight-through top-k takes on this device (its documented maximum).</summary>
    public int TopKMaxCandidates => _topK.MaxCandidates;

    /// <summary>The top-k forward kernel's shared memory limits on this device.</summary>
    public SharedMemoryLimits TopKSharedMemory => _topK.ForwardSharedMemory;

    public void AdamWStep(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, AdamWScalars scalars, float gradScale) =>
        _adamW.Step(parameter, gradient, expAvg, expAvgSq, scalars, gradScale);

    public void Dispose()
    {
        _matMul.Dispose();
        _cosine.Dispose();
        _rope.Dispose();
        _rmsNorm.Dispose();
        _reduction.Dispose();
        _sequenceAttention.Dispose();
    }
}
