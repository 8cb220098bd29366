using Clara.Engine.Backends.Cpu;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using Clara.Engine.Training.Optimization;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>
/// AdamW + global-norm clipping + the warmup-cosine schedule + micro-batch accumulation against
/// torch.optim.AdamW / clip_grad_norm_ / LambdaLR (tests/oracle/train_fixtures.py), step by step.
/// </summary>
public class OptimizerOracleTests
{
    [TestCase("clipped")]
    [TestCase("plain")]
    public void EveryStepMatchesPyTorch(string name)
    {
        using var f = TrainFixtures.Open("optimizer");
        int[] wShape = f[$"{name}.w0"].Shape.Dims.ToArray(), plan = f[$"{name}.plan"].Shape.Dims.ToArray();
        int dOut = wShape[0], dIn = wShape[1], steps = plan[0], accumulate = plan[1], widest = plan[2];
        var rows = f.ReadAsInt32($"{name}.plan");
        var settings = new OptimizerSettings
        {
            LearningRate = TrainFixtures.F64(f, $"{name}.lr")[0],
            WarmupSteps = (int)f.ReadAsInt64($"{name}.warmup")[0],
            TotalSteps = (int)f.ReadAsInt64($"{name}.steps")[0],
            WeightDecay = TrainFixtures.F64(f, $"{name}.weight_decay")[0],
            ClipNorm = TrainFixtures.F64(f, $"{name}.max_norm")[0],
        };
        using var backend = new CpuBackend(1);
        using var objective = new LeastSquaresObjective(backend, f.ReadAsFloat32($"{name}.x"), f.ReadAsFloat32($"{name}.y"), f.ReadAsFloat32($"{name}.w0"), f.ReadAsFloat32($"{name}.b0"), dIn, dOut);
        using var optimizer = new AdamWOptimizer(objective.Parameters, settings);
        using var accumulator = new GradientAccumulator(objective.Parameters, LeastSquaresObjective.Tokens.Targets);
        var lrs = TrainFixtures.F64(f, $"{name}.lrs");
        var losses = f.ReadAsFloat32($"{name}.losses");
        var norms = f.ReadAsFloat32($"{name}.norms");
        float[] ws = f.ReadAsFloat32($"{name}.w"), bs = f.ReadAsFloat32($"{name}.b");
        float[] mw = f.ReadAsFloat32($"{name}.exp_avg_w"), vw = f.ReadAsFloat32($"{name}.exp_avg_sq_w");
        int nw = dOut * dIn;

        for (int t = 0; t < steps; t++)
        {
            var microBatches = Enumerable.Range(0, accumulate)
                .Select(a => (IReadOnlyList<TrainingExample>)rows.Skip((t * accumulate + a) * widest).Take(widest).Where(r => r >= 0)
                    .Select(r => (TrainingExample)new RowExample(r)).ToArray())
                .ToList();
            double loss = accumulator.Run(objective, microBatches);
            Assert.That(optimizer.NextLearningRate, Is.EqualTo(lrs[t]).Within(1e-15 * Math.Max(1e-300, lrs[t])), $"{name} step {t + 1} learning rate");
            var report = optimizer.Step();

            Compare.AssertClose([(float)loss], [losses[t]], 1e-6, $"{name} step {t + 1} loss");
            Compare.AssertClose([report.GradientNorm], [norms[t]], 1e-6, $"{name} step {t + 1} gradient norm");
            Compare.AssertClose(objective.Weight, ws.AsSpan(t * nw, nw), 1e-6, $"{name} step {t + 1} W");
            Compare.AssertClose(objective.Bias, bs.AsSpan(t * dOut, dOut), 1e-6, $"{name} step {t + 1} b");
            var p = objective.Parameters[LeastSquaresObjective.WeightName];
            Compare.AssertClose(p.ExpAvg.ToFloatArray(), mw.AsSpan(t * nw, nw), 1e-6, $"{name} step {t + 1} exp_avg W");
            Compare.AssertClose(p.ExpAvgSq.ToFloatArray(), vw.AsSpan(t * nw, nw), 1e-6, $"{name} step {t + 1} exp_avg_sq W");
        }
        Assert.That(optimizer.StepsTaken, Is.EqualTo(steps));
    }

    [Test]
    public void TheScheduleWarmsUpLinearlyThenDecaysToZero()
    {
        // Closed-form values of the documented formula, independent of the implementation's arithmetic order.
        var s = new WarmupCosineSchedule(0.1, warmupSteps: 4, totalSteps: 12);
        Assert.Multiple(() =>
        {
            Assert.That(s.LearningRate(0), Is.EqualTo(0.0));
            Assert.That(s.LearningRate(2), Is.EqualTo(0.05).Within(1e-15));
            Assert.That(s.LearningRate(4), Is.EqualTo(0.1).Within(1e-15));
            Assert.That(s.LearningRate(8), Is.EqualTo(0.05).Within(1e-15));   // halfway through the decay: cos(π/2) = 0
            Assert.That(s.LearningRate(12), Is.EqualTo(0.0).Within(1e-18));
            Assert.That(s.LearningRate(40), Is.EqualTo(0.0).Within(1e-18));   // past the end it stays at zero
        });
    }

    [Test]
    public void ClippingOnlyShrinks()
    {
        Assert.Multiple(() =>
        {
            Assert.That(GradientClipping.Scale(0.5f, 1.0), Is.EqualTo(1f));
            Assert.That(GradientClipping.Scale(4f, 1.0), Is.EqualTo(0.25f).Within(1e-6f));
            Assert.That(GradientClipping.Scale(1e9f, 0), Is.EqualTo(1f));
            Assert.Throws<InvalidOperationException>(() => GradientClipping.Scale(float.NaN, 1.0));
        });
    }

    [Test]
    public void ANonPositiveLearningRateIsRefusedByName()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new OptimizerSettings { LearningRate = 0 }.Validate());
        Assert.That(e!.Message, Does.Contain("learning rate"));
    }
}
