using Clara.Engine.Tensors;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Kernels.Grad;

/// <summary>CrossEntropy and its backward against F.cross_entropy (default and custom ignore index) and its autograd.</summary>
public abstract class CrossEntropySuite : GradOracleSuite
{
    [TestCase("default_ignore")]
    [TestCase("custom_ignore")]
    public void LossesAndGradientMatchAutograd(string name)
    {
        var f = Load("cross_entropy");
        int rows = f.Shape($"{name}.logits")[0], ignore = (int)f.I64Scalar($"{name}.ignore_index");
        var logits = F32(f, $"{name}.logits");
        var targets = I32(f, $"{name}.targets");
        var losses = Zeros(rows);
        var lse = Zeros(rows);
        Backend.Kernels.CrossEntropy(logits, targets, ignore, losses, lse);
        AssertOracle(losses.ToFloatArray(), f.F32($"{name}.losses"), $"{name} losses");
        AssertOracle(lse.ToFloatArray(), f.F32($"{name}.lse"), $"{name} log-sum-exp");

        var grad = Zeros(f.Shape($"{name}.logits"));
        Backend.Kernels.CrossEntropyBackward(logits, targets, lse, ignore, (float)f.F64Scalar($"{name}.scale"), grad);
        AssertOracle(grad.ToFloatArray(), f.F32($"{name}.grad_logits"), $"{name} logit gradient");
        // Written in place of the logits, as the contract allows.
        Backend.Kernels.CrossEntropyBackward(logits, targets, lse, ignore, (float)f.F64Scalar($"{name}.scale"), logits);
        AssertOracle(logits.ToFloatArray(), f.F32($"{name}.grad_logits"), $"{name} logit gradient in place");
    }

    /// <summary>
    /// Σ_j ∂loss/∂logit_j = scale·(Σ softmax − 1) = 0 for every row, also where the logits are near 50 (the rank stage's
    /// cosine scores over τ = 0.02) and the fp32 log-sum-exp the backward reads is up to 2e-6 off: a backward that took
    /// exp(x − lse) as the softmax left the rows summing to ±2e-6, which the nearly parallel candidate memories then
    /// magnified in the query's gradient.
    /// </summary>
    [Test]
    public void GradientRowsSumToZeroForLogitsNearFifty()
    {
        const int rows = 64, width = 20;
        var values = new float[rows * width];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < width; j++)
                values[r * width + j] = 45f + 0.07f * r + 0.15f * MathF.Sin(1.3f * j + r);
        var logits = Floats(values, rows, width);
        var targets = Ints(Enumerable.Range(0, rows).Select(r => r % width).ToArray(), rows);
        var losses = Zeros(rows);
        var lse = Zeros(rows);
        Backend.Kernels.CrossEntropy(logits, targets, -100, losses, lse);
        var grad = Zeros(rows, width);
        Backend.Kernels.CrossEntropyBackward(logits, targets, lse, -100, 1f, grad);
        var g = grad.ToFloatArray();
        double worst = Enumerable.Range(0, rows).Max(r => Math.Abs(g.AsSpan(r * width, width).ToArray().Sum(v => (double)v)));
        Assert.That(worst, Is.LessThan(5e-7), "largest |Σ_j gradient| of a row");
    }

    [Test]
    public void ATargetOutsideTheVocabularyIsRefused() =>
        AssertRefused(() => Backend.Kernels.CrossEntropy(Zeros(2, 3), Ints([0, 3], 2), -100, Zeros(2), Zeros(2)), "target");

    [Test]
    public void MismatchedOperandsAreRefusedByName() =>
        AssertRefused(() => Backend.Kernels.CrossEntropy(Zeros(2, 3), Ints([0, 1], 2), -100, Zeros(3), Zeros(2)), "cross-entropy losses");
}

/// <summary>The §2 alignment loss and its (accumulating) backward against autograd.</summary>
public abstract class AlignmentLossSuite : GradOracleSuite
{
    [Test]
    public void MeansMseAndGradientMatchAutograd()
    {
        var f = Load("alignment");
        var shape = f.Shape("hidden");
        var roles = I32(f, "roles");
        var docMean = Zeros(shape[0], shape[2]);
        var memMean = Zeros(shape[0], shape[2]);
        var mse = Zeros(shape[0]);
        Backend.Kernels.AlignmentLoss(F32(f, "hidden"), roles, docMean, memMean, mse);
        AssertOracle(docMean.ToFloatArray(), f.F32("doc_mean"), "document mean");
        AssertOracle(memMean.ToFloatArray(), f.F32("mem_mean"), "memory mean");
        AssertOracle(mse.ToFloatArray(), f.F32("mse"), "mse");

        var gradHidden = F32(f, "grad_hidden0");
        Backend.Kernels.AlignmentLossBackward(roles, docMean, memMean, (float)f.F64Scalar("grad_scale"), gradHidden);
        AssertOracle(gradHidden.ToFloatArray(), f.F32("grad_hidden"), "hidden gradient (accumulated)");
    }

    [Test]
    public void MismatchedOperandsAreRefusedByName() =>
        AssertRefused(() => Backend.Kernels.AlignmentLoss(Zeros(2, 3, 4), Ints(new int[6], 2, 3), Zeros(2, 4), Zeros(2, 5), Zeros(2)), "memMean");
}

/// <summary>
/// CosineScoresBackward (f32 and bf16 candidates) and CosineScoresBackwardCandidates against autograd of F.normalize
/// cosine scores, and finite differences.
/// </summary>
public abstract class CosineBackwardSuite : GradOracleSuite
{
    [TestCase("f32")]
    [TestCase("bf16")]
    public void QueryGradientAccumulatesLikeAutograd(string name)
    {
        var f = Load("cosine_backward");
        var gradQuery = F32(f, $"{name}.grad_query0");
        Backend.Kernels.CosineScoresBackward(F32(f, $"{name}.query"), Stored(f, $"{name}.candidates", name == "bf16" ? DType.BF16 : DType.F32),
            F32(f, $"{name}.grad_scores"), gradQuery);
        AssertOracle(gradQuery.ToFloatArray(), f.F32($"{name}.grad_query"), $"cosine {name} dquery (accumulated)");
    }

    [Test]
    public void QueryGradientMatchesFiniteDifferences()
    {
        var f = Load("cosine_backward");
        var candidates = F32(f, "f32.candidates");
        var upstream = f.F32("f32.grad_scores");
        var query = f.F32("f32.query");
        var gradQuery = Zeros(query.Length);
        Backend.Kernels.CosineScoresBackward(Floats(query, query.Length), candidates, Floats(upstream, upstream.Length), gradQuery);
        FiniteDifference.AssertMatches(q =>
        {
            var scores = Zeros(upstream.Length);
            Backend.Kernels.CosineScores(Floats(q, q.Length), candidates, scores);
            return FiniteDifference.Dot(scores.ToFloatArray(), upstream);
        }, query, gradQuery.ToFloatArray(), "cosine dquery");
    }

    [Test]
    public void CandidateGradientAccumulatesLikeAutograd()
    {
        var f = Load("cosine_backward");
        var gradCandidates = F32(f, "candidates.grad_candidates0");
        Backend.Kernels.CosineScoresBackwardCandidates(F32(f, "candidates.query"), F32(f, "candidates.candidates"), F32(f, "candidates.grad_scores"), gradCandidates);
        AssertOracle(gradCandidates.ToFloatArray(), f.F32("candidates.grad_candidates"), "cosine dcandidates (accumulated)");
    }

    [Test]
    public void CandidateGradientMatchesFiniteDifferences()
    {
        var f = Load("cosine_backward");
        var query = F32(f, "candidates.query");
        var upstream = f.F32("candidates.grad_scores");
        var candidates = f.F32("candidates.candidates");
        var gradCandidates = Zeros(f.Shape("candidates.candidates"));
        Backend.Kernels.CosineScoresBackwardCandidates(query, Floats(candidates, f.Shape("candidates.candidates")), Floats(upstream, upstream.Length), gradCandidates);
        FiniteDifference.AssertMatches(c =>
        {
            var scores = Zeros(upstream.Length);
            Backend.Kernels.CosineScores(query, Floats(c, f.Shape("candidates.candidates")), scores);
            return FiniteDifference.Dot(scores.ToFloatArray(), upstream);
        }, candidates, gradCandidates.ToFloatArray(), "cosine dcandidates");
    }

    [Test]
    public void MismatchedOperandsAreRefusedByName() =>
        AssertRefused(() => Backend.Kernels.CosineScoresBackward(Zeros(4), Zeros(3, 4), Zeros(2), Zeros(4)), "gradScores");

    [Test]
    public void ACandidateGradientOfAnotherShapeIsRefusedByName() =>
        AssertRefused(() => Backend.Kernels.CosineScoresBackwardCandidates(Zeros(4), Zeros(3, 4), Zeros(3), Zeros(2, 4)), "gradCandidates");
}

/// <summary>The §4 straight-through top-k with near ties and k ≥ 2 against the PyTorch formulation and its autograd.</summary>
public abstract class TopKSuite : GradOracleSuite
{
    [Test]
    public void ForwardIsExactlyHardAndBackwardFollowsTheSoftSlots()
    {
        var f = Load("topk");
        int batch = f.Shape("scores")[0], n = f.Shape("scores")[1], k = (int)f.I64Scalar("k");
        float temperature = (float)f.F64Scalar("temperature");
        var hard = Zeros(batch, k, n);
        var soft = Zeros(batch, k, n);
        var indices = Ints(new int[batch * k], batch, k);
        Backend.Kernels.StraightThroughTopK(F32(f, "scores"), k, temperature, hard, soft, indices);
        Assert.That(indices.ToIntArray(), Is.EqualTo(f.I32("indices")), "picks, best first (near ties included)");
        Assert.That(hard.ToFloatArray(), Is.EqualTo(f.F32("hard")), "the forward value of W is exactly H");
        AssertOracle(soft.ToFloatArray(), f.F32("soft"), "soft slots");

        var gradScores = Zeros(batch, n);
        Backend.Kernels.StraightThroughTopKBackward(soft, F32(f, "grad_weights"), temperature, gradScores);
        AssertOracle(gradScores.ToFloatArray(), f.F32("grad_scores"), "score gradient");
    }

    [Test]
    public void KAboveTheCandidateCountIsRefused() =>
        AssertRefused(() => Backend.Kernels.StraightThroughTopK(Zeros(1, 3), 4, 0.1f, Zeros(1, 4, 3), Zeros(1, 4, 3), Ints(new int[4], 1, 4)), "k");
}

/// <summary>One AdamW step from a mid-training state with a clipping scale, against torch.optim.AdamW.</summary>
public abstract class AdamWSuite : GradOracleSuite
{
    [Test]
    public void OneStepMatchesTorchOptimAdamW()
    {
        var f = Load("adamw");
        var settings = new AdamWSettings(f.F64Scalar("lr"), f.F64Scalar("beta1"), f.F64Scalar("beta2"), f.F64Scalar("eps"), f.F64Scalar("weight_decay"));
        var parameter = F32(f, "param0");
        var expAvg = F32(f, "exp_avg0");
        var expAvgSq = F32(f, "exp_avg_sq0");
        Backend.Kernels.AdamWStep(parameter, F32(f, "grad"), expAvg, expAvgSq, AdamWScalars.For(settings, (int)f.I64Scalar("step")),
            (float)f.F64Scalar("grad_scale"));
        AssertOracle(expAvg.ToFloatArray(), f.F32("exp_avg"), "exp_avg");
        AssertOracle(expAvgSq.ToFloatArray(), f.F32("exp_avg_sq"), "exp_avg_sq");
        AssertOracle(parameter.ToFloatArray(), f.F32("param"), "parameter");
    }

    [Test]
    public void MismatchedOperandsAreRefusedByName() =>
        AssertRefused(() => Backend.Kernels.AdamWStep(Zeros(4), Zeros(4), Zeros(3), Zeros(4), default, 1f), "adamw expAvg");
}
