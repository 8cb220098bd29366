using Clara.Engine.Backends;
using Clara.Engine.Backends.Cpu;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Models;
using Clara.Engine.Pipeline;
using Clara.Engine.Tests.Support;
using Clara.Engine.Training;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>
/// Every stage's loss and every trainable tensor's gradient against PyTorch autograd (tests/oracle/grad_fixtures.py
/// writes tests/fixtures/grad/&lt;model&gt;/&lt;stage&gt;.{jsonl,safetensors}): the batch of the JSONL file, zeroed store,
/// one AccumulateGradients. Errors are max |ours − theirs| / max |theirs| per tensor.
/// </summary>
public abstract class StageGradientOracleSuite : BackendSuite
{
    /// <summary>
    /// The bound for an fp32 engine against the float64 references, for every stage. The generator also records
    /// how far PyTorch's own float32 autograd lands from them (metadata <c>fp32_autograd_error</c>, printed beside ours):
    /// up to 4.8e-6 on the rank stages, whose cosine scores are divided by a temperature of 0.02.
    /// </summary>
    public const double Tolerance = 1e-5;

    public static IEnumerable<TestCaseData> Cases() =>
        from model in new[] { "clara-distinct", "clara-repeated" }
        from stage in new[] { "lm", "scp", "instruct", "e2e", "rank", RankJoint, "scp-rank" }
        select new TestCaseData(model, stage).SetName($"{{m}}({model}, {stage})");

    /// <summary>Stage rank with the compressor trained too: its gradient comes through the candidates of the cosine scores.</summary>
    public const string RankJoint = "rank-joint";

    public static string DataFile(string model, string stage) => Path.Combine(Fixtures.Root, "grad", model, stage + ".jsonl");
    public static string ExpectedFile(string model, string stage) => Path.Combine(Fixtures.Root, "grad", model, stage + ".safetensors");

    [TestCaseSource(nameof(Cases))]
    public void LossAndEveryGradientMatchAutograd(string model, string stage) => MatchAutograd(model, stage, new TrainingOptions());

    /// <summary>Activation checkpointing recomputes every decoder block (encoder and generator) in backward: same gradients.</summary>
    [TestCaseSource(nameof(Cases))]
    public void WithActivationCheckpointingEveryGradientMatchesAutograd(string model, string stage) =>
        MatchAutograd(model, stage, new TrainingOptions { CheckpointActivations = true });

    /// <summary>
    /// Without the frozen compressor's memory cache (instruct, e2e, rank): every document compressed inside the batch's
    /// graph, as the stages with the compressor trained always do. The cases above run with the cache.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void WithoutTheMemoryCacheEveryGradientMatchesAutograd(string model, string stage) =>
        MatchAutograd(model, stage, new TrainingOptions { MemoryCacheMegabytes = 0 });

    private void MatchAutograd(string model, string stage, TrainingOptions options)
    {
        var s = stage == RankJoint ? TrainingStage.Rank : TrainingStages.Parse(stage);
        if (stage == RankJoint) options = options with { TrainableAdapters = [ClaraModel.QueryAdapter, ClaraModel.EncoderAdapter] };
        using var clara = ClaraModel.Load(Fixtures.Clara(model), Backend);
        using var objective = TrainingObjectives.Create(clara, s, options);
        var batch = PretokenizedExamples.Read(DataFile(model, stage), s);
        objective.Parameters.ZeroGradients();
        float loss = objective.AccumulateGradients(batch);
        using var expected = SafetensorsFile.Open(ExpectedFile(model, stage));
        AssertMatches(expected, loss, objective.Parameters.Parameters.Select(p => (p.Name, p.Gradient.ToFloatArray())).ToList(), $"{model} {stage}");
    }

    /// <summary>Stage lm on a plain model with tied embeddings: the embedding lookup and lm_head add into one gradient.</summary>
    [Test]
    public void LmWithTiedEmbeddingsMatchesAutograd()
    {
        using var model = DecoderModel.Load(Fixtures.Model("llama-gqa1"), Backend);
        using var objective = TrainingObjectives.CreateLm(model);
        objective.Parameters.ZeroGradients();
        float loss = objective.AccumulateGradients(PretokenizedExamples.Read(DataFile("llama-gqa1", "lm"), TrainingStage.Lm));
        using var expected = SafetensorsFile.Open(ExpectedFile("llama-gqa1", "lm"));
        AssertMatches(expected, loss, objective.Parameters.Parameters.Select(p => (p.Name, p.Gradient.ToFloatArray())).ToList(), "llama-gqa1 lm");
    }

    /// <summary>Stage lm with prompt/completion lines: only the completion's tokens are in the loss.</summary>
    [Test]
    public void LmPromptCompletionLinesMatchAutograd()
    {
        using var model = DecoderModel.Load(Fixtures.Model("llama-gqa1"), Backend);
        using var objective = TrainingObjectives.CreateLm(model);
        objective.Parameters.ZeroGradients();
        var batch = PretokenizedExamples.Read(DataFile("llama-gqa1", "lm-completion"), TrainingStage.Lm);
        Assert.That(batch.Cast<LmExample>().Select(e => e.LossFrom), Is.EqualTo(new[] { 4, 6 }), "the loss starts after each prompt");
        float loss = objective.AccumulateGradients(batch);
        using var expected = SafetensorsFile.Open(ExpectedFile("llama-gqa1", "lm-completion"));
        AssertMatches(expected, loss, objective.Parameters.Parameters.Select(p => (p.Name, p.Gradient.ToFloatArray())).ToList(), "llama-gqa1 lm prompt/completion");
    }

    /// <summary>The gradients that reach the query reasoner only through the straight-through top-k are real, not zeros.</summary>
    [TestCase("clara-distinct")]
    [TestCase("clara-repeated")]
    public void QueryReasonerGradientFlowsThroughTheTopK(string model)
    {
        using var clara = ClaraModel.Load(Fixtures.Clara(model), Backend);
        using var objective = TrainingObjectives.Create(clara, TrainingStage.E2e);
        objective.Parameters.ZeroGradients();
        objective.AccumulateGradients(PretokenizedExamples.Read(DataFile(model, "e2e"), TrainingStage.E2e));
        var query = objective.Parameters.Parameters.Where(p => p.Name.StartsWith(ClaraModel.QueryAdapter + "/", StringComparison.Ordinal)).ToList();
        Assert.That(query, Is.Not.Empty);
        double largest = query.Max(p => p.Gradient.ToFloatArray().Max(v => Math.Abs(v)));
        using var expected = SafetensorsFile.Open(ExpectedFile(model, "e2e"));
        double reference = query.Max(p => expected.ReadAsFloat32(p.Name).Max(v => Math.Abs(v)));
        Assert.That(largest, Is.GreaterThan(0.1 * reference).And.GreaterThan(0), "query reasoner gradient");
    }

    /// <summary>Two calls without zeroing add up: the store accumulates micro-batches.</summary>
    [Test]
    public void GradientsAccumulateAcrossCalls()
    {
        using var clara = ClaraModel.Load(Fixtures.Clara("clara-distinct"), Backend);
        using var objective = TrainingObjectives.Create(clara, TrainingStage.Instruct);
        var batch = PretokenizedExamples.Read(DataFile("clara-distinct", "instruct"), TrainingStage.Instruct);
        objective.Parameters.ZeroGradients();
        objective.AccumulateGradients(batch);
        var once = objective.Parameters.Gradients.ToFloatArray();
        objective.AccumulateGradients(batch);
        var twice = objective.Parameters.Gradients.ToFloatArray();
        Compare.AssertClose(twice, once.Select(v => 2 * v).ToArray(), 1e-6, "two accumulations");
    }

    public static void AssertMatches(SafetensorsFile expected, float loss, IReadOnlyList<(string Name, float[] Gradient)> actual, string what)
    {
        Compare.AssertClose([loss], expected.ReadAsFloat32("loss"), Tolerance, what + " loss");
        var names = expected.Tensors.Select(t => t.Name).Where(n => n != "loss").Order(StringComparer.Ordinal).ToList();
        Assert.That(actual.Select(a => a.Name).Order(StringComparer.Ordinal), Is.EqualTo(names), what + ": the trainable tensors");
        double worst = 0;
        foreach (var (name, gradient) in actual)
            worst = Math.Max(worst, Compare.AssertClose(gradient, expected.ReadAsFloat32(name), Tolerance, $"{what} {name}"));
        string pytorch = expected.Metadata.TryGetValue("fp32_autograd_error", out var text) ? $", PyTorch float32 autograd {text}" : "";
        TestContext.Out.WriteLine($"{what}: worst gradient error {worst:E2} over {actual.Count} tensors (tolerance {Tolerance:E2}{pytorch})");
    }
}

public sealed class CpuStageGradientOracleTests : StageGradientOracleSuite
{
    protected override IBackend CreateBackend() => new CpuBackend();
}
