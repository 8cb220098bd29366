using Clara.Engine.Tensors;

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
}
