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

    public void CrossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, Tensor losses, Tensor logSumExp)
    {
        var x = launcher.F32(logits, "cross-entropy logits");
        var t = launcher.I32(targets, "cross-entropy targets");
        var l = launcher.F32(losses, "cross-entropy losses");
        var lse = launcher.F32(logSumExp, "cross-entropy log-sum-exp");
        long rows = RequireRows(logits, targets);
        if (losses.ElementCount != rows || logSumExp.ElementCount != rows)
            throw new ArgumentException($"cross-entropy losses {losses.Shape} and log-sum-exp {logSumExp.Shape} need {rows} elements");
        if (rows == 0) return;
        var args = new KernelArguments().Add(x).Add(t).Add(l).Add(lse).Add(logits.Shape[-1]).Add(ignoreIndex).Add(launcher.Faults);
        launcher.Launch("softmax_xent.cu", "clara_cross_entropy_forward", LaunchShapes.PerRow(rows, Threads), args);
    }

    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor logSumExp, int ignoreIndex, float scale, Tensor gradLogits)
    {
        var x = launcher.F32(logits, "cross-entropy logits");
        var t = launcher.I32(targets, "cross-entropy targets");
        var lse = launcher.F32(logSumExp, "cross-entropy log-sum-exp");
        var g = launcher.F32(gradLogits, "cross-entropy logit gradient");
        long rows = RequireRows(logits, targets);
        if (logSumExp.ElementCount != rows) throw new ArgumentException($"cross-entropy log-sum-exp {logSumExp.Shape} needs {rows} elements");
        if (gradLogits.ElementCount != logits.ElementCount) throw new ArgumentException($"logit gradient {gradLogits.Shape} differs from logits {logits.Shape}");
        if (rows == 0) return;
        var args = new KernelArguments().Add(x).Add(t).Add(lse).Add(g).Add(logits.Shape[-1]).Add(ignoreIndex).Add(scale);
        launcher.Launch("softmax_xent.cu", "clara_cross_entropy_backward", LaunchShapes.PerRow(rows, Threads), args);
    }

    private static long RequireRows(Tensor logits, Tensor targets)
    {
        long rows = logits.Shape.Rows;
        if (targets.ElementCount != rows) throw new ArgumentException($"cross-entropy has {rows} logit rows but {targets.ElementCount} targets");
        return rows;
    }
}
