using Clara.Engine.Backends.Ops;
using Clara.Engine.Native.Cuda;

namespace Clara.Engine.Backends.Cuda;

/// <summary>Launches kernels/softmax_xent.cu: log-softmax and the cross-entropy loss with its gradient.</summary>
internal sealed class SoftmaxLauncher(KernelLauncher launcher)
{
    private const int Threads = 1024;

    public void LogSoftmax(Tensor input, Tensor output)
    {
        int width = SoftmaxRules.CheckLogSoftmax(input, output);
        var args = new KernelArguments().Add(launcher.F32(input, "log-softmax input")).Add(launcher.F32(output, "log-softmax output")).Add(width);
        if (input.ElementCount == 0) return;
        launcher.Launch("softmax_xent.cu", "clara_log_softmax", LaunchShapes.PerRow(input.Shape.Rows, Threads), args);
    }

    public void CrossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor logSumExp)
    {
        var shape = CrossEntropyRules.Check(logits, targets, losses, logSumExp);
        var args = new KernelArguments().Add(launcher.F32(logits, "cross-entropy logits")).Add(launcher.I32(targets, "cross-entropy targets"))
            .Add(launcher.F32(losses, "cross-entropy losses")).Add(launcher.F32(logSumExp, "cross-entropy logSumExp"))
            .Add(shape.Vocab).Add(ignoreIndex).Add(launcher.Faults);
        if (shape.Rows == 0) return;
        launcher.Launch("softmax_xent.cu", "clara_cross_entropy_forward", LaunchShapes.PerRow(shape.Rows, Threads), args);
    }

    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, int ignoreIndex, float scale, Tensor gradLogits)
    {
        var shape = CrossEntropyRules.CheckBackward(logits, targets, logSumExp, scale, gradLogits);
        var args = new KernelArguments().Add(launcher.F32(logits, "cross-entropy-backward logits")).Add(launcher.I32(targets, "cross-entropy-backward targets"))
            .Add(launcher.F32(logSumExp, "cross-entropy-backward logSumExp")).Add(launcher.F32(gradLogits, "cross-entropy-backward gradLogits"))
            .Add(shape.Vocab).Add(ignoreIndex).Add(scale);
        if (shape.Rows == 0) return;
        launcher.Launch("softmax_xent.cu", "clara_cross_entropy_backward", LaunchShapes.PerRow(shape.Rows, Threads), args);
    }
}
