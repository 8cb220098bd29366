using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>The CPU twin of the cross-entropy kernels against F.cross_entropy and its autograd gradient.</summary>
public class CrossEntropyTwinTests
{
    [TestCase("small")]
    [TestCase("wide")]
    public void ForwardMatchesPyTorch(string name)
    {
        var f = KernelFixture.Load("cross_entropy");
        var logits = f.F32($"{name}.logits");
        var targets = f.I32($"{name}.targets");
        int width = f.Shape($"{name}.logits")[1];
        var losses = new float[targets.Length];
        var lse = new float[targets.Length];

        SoftmaxCrossEntropy.Forward(logits, targets, width, SoftmaxCrossEntropy.DefaultIgnoreIndex, losses, lse);

        Compare.AssertClose(losses, f.F32($"{name}.losses"), 1e-6, $"{name} per-row losses");
        Compare.AssertClose(lse, f.F32($"{name}.logsumexp"), 1e-6, $"{name} log-sum-exp");
        float mean = SoftmaxCrossEntropy.Mean(losses, targets, SoftmaxCrossEntropy.DefaultIgnoreIndex);
        Assert.That(mean, Is.EqualTo(f.F32($"{name}.mean_loss")[0]).Within(1e-6).Percent);
    }

    [TestCase("small")]
    [TestCase("wide")]
    public void BackwardOfTheMeanMatchesAutograd(string name)
    {
        var f = KernelFixture.Load("cross_entropy");
        var logits = f.F32($"{name}.logits");
        var targets = f.I32($"{name}.targets");
        int width = f.Shape($"{name}.logits")[1];
        var losses = new float[targets.Length];
        var lse = new float[targets.Length];
        SoftmaxCrossEntropy.Forward(logits, targets, width, SoftmaxCrossEntropy.DefaultIgnoreIndex, losses, lse);
        float scale = 1f / SoftmaxCrossEntropy.CountTargets(targets, SoftmaxCrossEntropy.DefaultIgnoreIndex);
        var grad = new float[logits.Length];

        SoftmaxCrossEntropy.Backward(logits, targets, lse, width, SoftmaxCrossEntropy.DefaultIgnoreIndex, scale, grad);

        Compare.AssertClose(grad, f.F32($"{name}.grad_logits"), 1e-5, $"{name} logit gradient");
    }

    [Test]
    public void ATargetOutsideTheClassesIsRejected()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SoftmaxCrossEntropy.Forward(new float[6], [1, 3], 3, SoftmaxCrossEntropy.DefaultIgnoreIndex, new float[2], new float[2]));
        Assert.That(ex!.Message, Does.Contain("target 3 of row 1"));
    }
}
