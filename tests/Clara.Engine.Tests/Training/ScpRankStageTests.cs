using Clara.Engine.Backends.Cpu;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>
/// Stage scp-rank is the reading loss plus μ times stage rank's loss on the same questions (docs/clara-spec.md §6.6):
/// the parts add, and μ = 0 leaves the query reasoner without a gradient. The whole against autograd is in
/// <see cref="StageGradientOracleSuite"/>.
/// </summary>
public class ScpRankStageTests
{
    private static IReadOnlyList<TrainingExample> Batch(string model) =>
        PretokenizedExamples.Read(StageGradientOracleSuite.DataFile(model, "scp-rank"), TrainingStage.ScpRank);

    [TestCase("clara-distinct")]
    [TestCase("clara-repeated")]
    public void TheRankWeightScalesStageRanksLossOnTheSameQuestions(string model)
    {
        using var backend = new CpuBackend();
        using var clara = ClaraModel.Load(Fixtures.Clara(model), backend);
        var batch = Batch(model);
        float Loss(float rankWeight)
        {
            using var objective = TrainingObjectives.Create(clara, TrainingStage.ScpRank, new TrainingOptions { RankWeight = rankWeight });
            return objective.Evaluate(batch);
        }
        using var rank = TrainingObjectives.Create(clara, TrainingStage.Rank,
            new TrainingOptions { TrainableAdapters = [ClaraModel.QueryAdapter, ClaraModel.EncoderAdapter] });
        float rankLoss = rank.Evaluate(batch.Cast<ScpRankExample>().Select(e => (TrainingExample)new RankExample(e.QuestionIds, e.Docs, e.Gold)).ToList());
        float reading = Loss(0), once = Loss(1), thrice = Loss(3);
        TestContext.Out.WriteLine($"{model}: reading {reading}, rank {rankLoss}, μ = 1: {once}, μ = 3: {thrice}");
        Assert.Multiple(() =>
        {
            Assert.That(rankLoss, Is.GreaterThan(0.1f), "a rank term worth testing");
            Assert.That(once - reading, Is.EqualTo(rankLoss).Within(1e-5 * (reading + rankLoss)));
            Assert.That(thrice - reading, Is.EqualTo(3 * rankLoss).Within(3e-5 * (reading + 3 * rankLoss)));
        });
    }

    [Test]
    public void WithoutTheRankTermTheQueryReasonerGetsNoGradient()
    {
        using var backend = new CpuBackend();
        using var clara = ClaraModel.Load(Fixtures.Clara("clara-distinct"), backend);
        using var objective = TrainingObjectives.Create(clara, TrainingStage.ScpRank, new TrainingOptions { RankWeight = 0 });
        objective.Parameters.ZeroGradients();
        objective.AccumulateGradients(Batch("clara-distinct"));
        double Largest(string adapter) => objective.Parameters.Parameters.Where(p => p.Name.StartsWith(adapter + "/", StringComparison.Ordinal))
            .Max(p => p.Gradient.ToFloatArray().Max(v => Math.Abs(v)));
        Assert.Multiple(() =>
        {
            Assert.That(Largest(ClaraModel.QueryAdapter), Is.Zero, "the query reasoner is only in the rank term");
            Assert.That(Largest(ClaraModel.EncoderAdapter), Is.GreaterThan(0), "the compressor reads for the generator");
            Assert.That(Largest(ClaraModel.DecoderAdapter), Is.GreaterThan(0));
        });
    }

    [TestCase(-1f)]
    [TestCase(float.NaN)]
    public void ARankWeightBelowZeroOrNotFiniteIsRefused(float rankWeight)
    {
        using var backend = new CpuBackend();
        using var clara = ClaraModel.Load(Fixtures.Clara("clara-distinct"), backend);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            TrainingObjectives.Create(clara, TrainingStage.ScpRank, new TrainingOptions { RankWeight = rankWeight }));
        Assert.That(e!.Message, Does.Contain("rank loss weight"));
    }
}
