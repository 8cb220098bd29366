using Clara.Engine.Training;
using Clara.Engine.Backends.Cpu.Training;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels;

/// <summary>The CPU twin of kernels/adamw.cu against torch.optim.AdamW over several steps.</summary>
public class AdamWTwinTests
{
    [TestCase("defaults")]
    [TestCase("aggressive")]
    public void EveryStepMatchesTorchOptimAdamW(string name)
    {
        var f = KernelFixture.Load("adamw");
        var settings = new AdamWSettings(f.F64Scalar($"{name}.lr"), f.F64Scalar($"{name}.beta1"), f.F64Scalar($"{name}.beta2"),
            f.F64Scalar($"{name}.eps"), f.F64Scalar($"{name}.weight_decay"));
        var param = f.F32($"{name}.param0");
        int n = param.Length, steps = f.Shape($"{name}.grads")[0];
        var grads = f.F32($"{name}.grads");
        var m = new float[n];
        var v = new float[n];

        for (int t = 0; t < steps; t++)
        {
            AdamW.Step(param, grads.AsSpan(t * n, n), m, v, AdamWScalars.For(settings, t + 1));
            Compare.AssertClose(m, f.F32($"{name}.exp_avg").AsSpan(t * n, n), 1e-6, $"{name} step {t + 1} exp_avg");
            Compare.AssertClose(v, f.F32($"{name}.exp_avg_sq").AsSpan(t * n, n), 1e-6, $"{name} step {t + 1} exp_avg_sq");
            Compare.AssertClose(param, f.F32($"{name}.params").AsSpan(t * n, n), 1e-6, $"{name} step {t + 1} param");
        }
    }

    [Test]
    public void TheFirstStepMovesEachParameterByAboutTheLearningRate()
    {
        // Adam's first bias-corrected step is lr · g/|g| (for |g| ≫ eps), whatever the gradient's size:
        // an independent closed form, not the twin's own arithmetic.
        var settings = new AdamWSettings(LearningRate: 0.01, WeightDecay: 0);
        float[] param = [1f, -2f, 3f];
        AdamW.Step(param, [0.5f, -7f, 1e-3f], new float[3], new float[3], AdamWScalars.For(settings, 1));
        Assert.That(param, Is.EqualTo(new[] { 0.99f, -1.99f, 2.99f }).Within(1e-5f));
    }
}
