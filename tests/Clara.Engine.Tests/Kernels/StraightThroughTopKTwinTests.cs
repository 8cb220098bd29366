using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>The CPU twin of kernels/topk_straight_through.cu against a PyTorch autograd implementation of spec §4.</summary>
public class StraightThroughTopKTwinTests
{
    [TestCase("warm")]
    [TestCase("reference_tau")]
    [TestCase("all")]
    public void ForwardGivesTheHardPicksAndTheSlotSoftmaxes(string name)
    {
        var f = KernelFixture.Load("topk_straight_through");
        var scores = f.F32($"{name}.scores");
        int n = f.Shape($"{name}.scores")[1], k = (int)f.I64Scalar($"{name}.k");
        float temperature = (float)f.F64Scalar($"{name}.temperature");
        var hard = new float[scores.Length * k];
        var soft = new float[scores.Length * k];
        var indices = new int[scores.Length / n * k];

        StraightThroughTopK.Forward(scores, n, k, temperature, hard, soft, indices);

        Assert.That(indices, Is.EqualTo(f.I32($"{name}.indices")), "hard picks, best first");
        Assert.That(hard, Is.EqualTo(f.F32($"{name}.hard")), "the forward value of W is exactly H");
        Compare.AssertClose(soft, f.F32($"{name}.soft"), 1e-5, $"{name} soft slots");
    }

    [TestCase("warm")]
    [TestCase("reference_tau")]
    [TestCase("all")]
    public void BackwardMatchesAutogradThroughW(string name)
    {
        var f = KernelFixture.Load("topk_straight_through");
        int n = f.Shape($"{name}.scores")[1], k = (int)f.I64Scalar($"{name}.k");
        float temperature = (float)f.F64Scalar($"{name}.temperature");
        var gradScores = new float[f.F32($"{name}.scores").Length];

        StraightThroughTopK.Backward(f.F32($"{name}.soft"), f.F32($"{name}.grad_weights"), n, k, temperature, gradScores);

        Compare.AssertClose(gradScores, f.F32($"{name}.grad_scores"), 1e-4, $"{name} score gradient");
    }

    [Test]
    public void KLargerThanTheCandidatesIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            StraightThroughTopK.Forward(new float[3], 3, 4, 0.1f, new float[12], new float[12], new int[4]));
    }
}
