using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Backends.Ops;
using Clara.Engine.Tensors;

namespace Clara.Engine.Backends.Cpu;

/// <summary>
/// The losses of training on tensors: softmax cross-entropy (<see cref="SoftmaxCrossEntropy"/>) and the §2 alignment
/// loss (<see cref="MemoryAlignment"/>). The span twins do the arithmetic; this layer applies the shared rules.
/// </summary>
internal static class CpuLosses
{
    public static void CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor logSumExp, int threads)
    {
        var shape = CrossEntropyRules.Check(logits, targets, losses, logSumExp);
        int v = shape.Vocab;
        // Rows are independent: threads take contiguous row ranges of the span twin.
        StaticPartition.Run(shape.Rows, 1, threads, 8.0 * shape.Rows * v, (start, end) =>
            SoftmaxCrossEntropy.Forward(CpuTensor.Span<float>(logits).Slice(start * v, (end - start) * v), CpuTensor.Span<int>(targets)[start..end],
                v, ignoreIndex, CpuTensor.Span<float>(losses)[start..end], CpuTensor.Span<float>(logSumExp)[start..end]));
    }

    public static void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, int ignoreIndex, float scale, Tensor gradLogits, int threads)
    {
        var shape = CrossEntropyRules.CheckBackward(logits, targets, logSumExp, scale, gradLogits);
        int v = shape.Vocab;
        StaticPartition.Run(shape.Rows, 1, threads, 8.0 * shape.Rows * v, (start, end) =>
            SoftmaxCrossEntropy.Backward(CpuTensor.Span<float>(logits).Slice(start * v, (end - start) * v), CpuTensor.Span<int>(targets)[start..end],
                CpuTensor.Span<float>(logSumExp)[start..end], v, ignoreIndex, scale, CpuTensor.Span<float>(gradLogits).Slice(start * v, (end - start) * v)));
    }

    public static void AlignmentLoss(Tensor hidden, Tensor roles, Tensor docMean, Tensor memMean, Tensor mse)
    {
        var shape = AlignmentLossRules.Check(hidden, roles, docMean, memMean, mse);
        MemoryAlignment.Means(CpuTensor.Span<float>(hidden), CpuTensor.Span<int>(roles), shape.Length, shape.Width,
            CpuTensor.Span<float>(docMean), CpuTensor.Span<float>(memMean));
        MemoryAlignment.Mse(CpuTensor.Span<float>(docMean), CpuTensor.Span<float>(memMean), shape.Width, CpuTensor.Span<float>(mse));
    }

    public static void AlignmentLossBackward(Tensor roles, Tensor docMean, Tensor memMean, float gradScale, Tensor gradHidden)
    {
        var shape = AlignmentLossRules.CheckBackward(roles, docMean, memMean, gradScale, gradHidden);
        var gradMse = new float[shape.Batch];
        Array.Fill(gradMse, gradScale);
        MemoryAlignment.MseBackward(CpuTensor.Span<int>(roles), CpuTensor.Span<float>(docMean), CpuTensor.Span<float>(memMean),
            gradMse, shape.Length, shape.Width, CpuTensor.Span<float>(gradHidden));
    }
}
