using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Ops;

/// <summary>The operand rules of <see cref="IKernels.MatMul"/>: output[M, N] = input[M, K] · weight[N, K]ᵀ.</summary>
public static class MatMulRules
{
    public static (long M, int N, int K) Check(Tensor input, Tensor weight, Tensor output)
    {
        OperandDTypes.RequireF32((input, "matmul input"), (output, "matmul output"));
        // Q8_0 weights (int8 values + F16 block scales) are a storage type of matmul weights only.
        if (weight.DType != DType.Q8_0) OperandDTypes.RequireFloatStorage(weight, "matmul weight");
        if (weight.Shape.Rank != 2)
            throw new ArgumentException($"matmul weight must be [out, in], got {weight.Shape}");
        int n = weight.Shape[0], k = weight.Shape[1];
        if (input.Shape[-1] != k)
            throw new ArgumentException($"matmul input {input.Shape} has {input.Shape[-1]} columns, weight {weight.Shape} expects {k}");
        long m = input.Shape.Rows;
        if (output.Shape[-1] != n || output.Shape.Rows != m)
            throw new ArgumentException($"matmul output {output.Shape} should be [{m}, {n}]");
        // Both backends read input rows while writing output rows, so a shared byte would be read after it is written.
        if (OperandDTypes.Overlap(input, output))
            throw new ArgumentException("matmul output must not overlap its input");
        return (m, n, k);
    }
}
