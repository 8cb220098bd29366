using Clara.Engine.Tensors;
using Clara.Engine.Training;

namespace Clara.Engine.Backends;

/// <summary>
/// The forward kernels one backend provides. Activations are F32; weight-like operands ("table",
/// "weight") may be stored F32, BF16 or F16 and are widened to fp32 before any arithmetic, so both
/// backends accumulate in fp32. Implementations check shapes and dtypes and throw ArgumentException
/// naming the operand on a mismatch.
/// </summary>
public interface IKernels
{
    /// <summary>output[i] = table[ids[i]]. ids I32 [n]; table [vocab, hidden]; output F32 [n, hidden].</summary>
    void Embedding(Tensor ids, Tensor table, Tensor output);

    /// <summary>output = input · rsqrt(mean(input²) + eps) · weight, per row. input/output F32 [n, hidden]; weight [hidden].</summary>
    void RmsNorm(Tensor input, Tensor weight, float eps, Tensor output);

    /// <summary>output[n, N] = alpha · input[n, K] · weight[N, K]ᵀ + beta · output. Weight rows are the HF [out, in] layout.</summary>
    void MatMul(Tensor input, Tensor weight, Tensor output, float alpha = 1f, float beta = 0f);

    /// <summary>Rotary embedding, HF "rotate_half" layout, on every head of each row. input/output F32 [n, heads·headDim]; positions I32 [n].</summary>
    void Rope(Tensor input, Tensor positions, int headDim, float theta, Tensor output);

    /// <summary>Writes rows [start, start+len) of every sequence's cache. source F32 [batch·len, width]; cache F32 [batch, capacity, width].</summary>
    void WriteCache(Tensor source, Tensor cache, int start);

    /// <summary>Causal grouped-query attention against the caches (see <see cref="AttentionLayout"/>). keyMask I32 [batch, capacity]; output F32 [batch·queryLength, heads·headDim].</summary>
    void Attention(Tensor query, Tensor keyCache, Tensor valueCache, Tensor keyMask, AttentionLayout layout, Tensor output);

    /// <summary>output = silu(gate) · up, elementwise. All F32, same shape.</summary>
    void SwiGlu(Tensor gate, Tensor up, Tensor output);

    /// <summary>output = a + b, elementwise. All F32, same shape; output may alias a.</summary>
    void Add(Tensor a, Tensor b, Tensor output);

    /// <summary>Row-wise log-softmax. F32 [n, width].</summary>
    void LogSoftmax(Tensor input, Tensor output);

    /// <summary>output[i] = input[rows[i]]. input F32 [n, width]; rows I32 [m]; output F32 [m, width].</summary>
    void GatherRows(Tensor input, Tensor rows, Tensor output);

    /// <summary>target[rows[i]] = source[i] (other rows untouched). source F32 [m, width]; rows I32 [m]; target F32 [n, width].</summary>
    void ScatterRows(Tensor source, Tensor rows, Tensor target);

    /// <summary>scores[i] = cos(query, candidates[i]) in fp32. query [dim]; candidates [count, dim] (any float storage); scores F32 [count].</summary>
    void CosineScores(Tensor query, Tensor candidates, Tensor scores);

    // ---- Training: the backward ops and losses. Same rules as above: F32 activations and gradients, weight-like
    // operands in any float storage, shapes checked by the op's rules type so both backends refuse the same calls.
    // "Accumulates" means the op adds into its output (the graph zeroes or first-writes gradients itself).

    /// <summary>
    /// output[M, N] = alpha · op(a) · op(b) + beta · output, op(x) = xᵀ when its flag is set. a is F32 ([M, K], or [K, M]
    /// transposed); b may be F32/BF16/F16 ([K, N], or [N, K] transposed); output F32. Operands of higher rank are seen as
    /// matrices [rows, last dimension]; K = 0 leaves beta · output. <see cref="MatMul"/> is
    /// Gemm(input, false, weight, true). Backward of a product: dX = Gemm(dY, false, W, false), dW += Gemm(dY, true, X, false).
    /// </summary>
    void Gemm(Tensor a, bool transposeA, Tensor b, bool transposeB, Tensor output, float alpha = 1f, float beta = 0f);

    /// <summary>output = a + alpha · b, elementwise. All F32, same element count; output may alias a.</summary>
    void AddScaled(Tensor a, Tensor b, float alpha, Tensor output);

    /// <summary>Sets every element of an F32 tensor to <paramref name="value"/>.</summary>
    void Fill(Tensor output, float value);

    /// <summary>output[0] = scale · Σ input (summed in fp32 pairwise or wider). input F32 any shape; output F32 [1].</summary>
    void Sum(Tensor input, float scale, Tensor output);

    /// <summary>output[0] = Σ input² (for the global gradient norm). input F32 any shape; output F32 [1].</summary>
    void SumOfSquares(Tensor input, Tensor output);

    /// <summary>target[rows[i]] += source[i]; repeated rows accumulate. Backward of <see cref="Embedding"/> and <see cref="GatherRows"/>. source F32 [m, width]; rows I32 [m]; target F32 [n, width]. A row outside the target is an error naming "rows".</summary>
    void ScatterAddRows(Tensor source, Tensor rows, Tensor target);

    /// <summary>
    /// Backward of <see cref="RmsNorm"/> (rstd recomputed from the input): gradInput is written; when
    /// <paramref name="gradWeight"/> is given (F32 [hidden]) it accumulates Σ_rows gradOutput · x · rstd.
    /// </summary>
    void RmsNormBackward(Tensor input, Tensor weight, float eps, Tensor gradOutput, Tensor gradInput, Tensor? gradWeight);

    /// <summary>Backward of <see cref="Rope"/>: the inverse rotation (angle −θ·position) of gradOutput into gradInput.</summary>
    void RopeBackward(Tensor gradOutput, Tensor positions, int headDim, float theta, Tensor gradInput);

    /// <summary>Backward of <see cref="SwiGlu"/>: gradGate = g·up·σ(gate)(1 + gate(1 − σ(gate))), gradUp = g·silu(gate). Written, not accumulated.</summary>
    void SwiGluBackward(Tensor gate, Tensor up, Tensor gradOutput, Tensor gradGate, Tensor gradUp);

    /// <summary>
    /// Causal grouped-query attention over whole sequences, for training (no cache): query [batch·T, heads·headDim],
    /// key/value [batch·T, kvHeads·headDim], keyMask I32 [batch, T] (0 = padding), layout with Start 0 and
    /// QueryLength T. Writes output like <see cref="Attention"/> and logSumExp F32 [batch, heads, T] (natural log of
    /// the softmax denominator of the scaled scores; 0 for a query that sees no key, whose output is 0).
    /// </summary>
    void SequenceAttention(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output, Tensor logSumExp);

    /// <summary>
    /// Backward of <see cref="SequenceAttention"/> from its saved output and logSumExp (an implementation may use either
    /// rowsum(gradOutput ⊙ output) or ⟨P, dP⟩ for the softmax term). gradQuery, gradKey, gradValue are written (GQA groups
    /// summed into gradKey/gradValue); every gradient row of a padded position is exactly 0.
    /// </summary>
    void SequenceAttentionBackward(Tensor query, Tensor key, Tensor value, Tensor keyMask, AttentionLayout layout, Tensor output,
        Tensor logSumExp, Tensor gradOutput, Tensor gradQuery, Tensor gradKey, Tensor gradValue);

    /// <summary>
    /// Softmax cross-entropy per row, F.cross_entropy with ignore_index: logits F32 [rows, vocab], targets I32 [rows];
    /// losses[r] = logSumExp[r] − logits[r, target] (0 where the target is <paramref name="ignoreIndex"/>), both F32 [rows].
    /// </summary>
    void CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor logSumExp);

    /// <summary>gradLogits[r] = scale · (softmax(logits[r]) − onehot(target)); ignored rows 0. Written; may alias logits.</summary>
    void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, int ignoreIndex, float scale, Tensor gradLogits);

    /// <summary>
    /// §2 alignment loss: hidden F32 [batch, length, width], roles I32 [batch, length] (<see cref="MemoryTokenRole"/>) →
    /// docMean, memMean F32 [batch, width] and mse F32 [batch] (mean over the width of (docMean − memMean)²). A mean over
    /// no rows (a document without Document or without Memory rows) is 0.
    /// </summary>
    void AlignmentLoss(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean, Tensor mse);

    /// <summary>Accumulates gradScale · ∂mse[b]/∂hidden for every document b into gradHidden [batch, length, width].</summary>
    void AlignmentLossBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden);

    /// <summary>
    /// Backward of <see cref="CosineScores"/> with respect to the query only (the candidates are frozen compressor
    /// output): gradQuery [dim] accumulates Σ_i gradScores[i] · ∂cos(query, candidates[i])/∂query.
    /// </summary>
    void CosineScoresBackward(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradQuery);

    /// <summary>
    /// Backward of <see cref="CosineScores"/> with respect to the candidates (a compressor that trains where scores do):
    /// gradCandidates [count, dim] accumulates gradScores[i] · ∂cos(query, candidates[i])/∂candidates[i] row by row.
    /// Candidates and their gradient are F32.
    /// </summary>
    void CosineScoresBackwardCandidates(Tensor query, Tensor candidates, Tensor gradScores, Tensor gradCandidates);

    /// <summary>
    /// §4 straight-through top-k per batch row: scores F32 [batch, n] → hard (the forward value of W) and soft
    /// (its gradient path) F32 [batch, k, n], indices I32 [batch, k] best first, ties to the lower index. 1 ≤ k ≤ n;
    /// temperature finite and ≥ 0, used as max(τ, 1e-6); a NaN score is refused.
    /// </summary>
    void StraightThroughTopK(Tensor scores, int k, float temperature, Tensor hard, Tensor soft, Tensor indices);

    /// <summary>dL/dscores [batch, n] (written) from dL/dW [batch, k, n] through the soft weights: Σ_j P_j ⊙ (dW_j − ⟨dW_j, P_j⟩) / τ.</summary>
    void StraightThroughTopKBackward(Tensor soft, Tensor gradWeights, float temperature, Tensor gradScores);

    /// <summary>One torch.optim.AdamW update in place (see <see cref="AdamWScalars"/>), gradient scaled by gradScale first (clipping; a non-finite gradScale is refused). All F32, same element count.</summary>
    void AdamWStep(Tensor parameter, Tensor gradient, Tensor expAvg, Tensor expAvgSq, AdamWScalars scalars, float gradScale);
}
