using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Training;

/// <summary>clara grad (spec §9), run as a user runs it, writes autograd's loss and gradients; bad data names the line and field.</summary>
public class GradCommandTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "clara-grad-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Clara(params string[] args) => ClaraCli.Run(args);

    [TestCase("clara-distinct", "e2e")]
    [TestCase("clara-repeated", "e2e")]
    [TestCase("clara-distinct", "scp")]
    [TestCase("clara-repeated", "instruct")]
    [TestCase("clara-repeated", "lm")]
    [TestCase("clara-distinct", "scp-rank")]
    public void WritesTheLossAndEveryGradientOfAutograd(string model, string stage)
    {
        var output = Path.Combine(_dir, "grad.safetensors");
        var (code, _, err) = Clara("grad", "--model", Fixtures.Clara(model), "--stage", stage,
            "--data", StageGradientOracleSuite.DataFile(model, stage), "--out", output);
        Assert.That(code, Is.EqualTo(0), err);
        using var expected = SafetensorsFile.Open(StageGradientOracleSuite.ExpectedFile(model, stage));
        using var actual = SafetensorsFile.Open(output);
        var gradients = actual.Tensors.Where(t => t.Name != "loss").Select(t => (t.Name, actual.ReadAsFloat32(t.Name))).ToList();
        Assert.That(actual["loss"].Shape, Is.EqualTo(new Engine.Tensors.Shape(1)));
        StageGradientOracleSuite.AssertMatches(expected, actual.ReadAsFloat32("loss")[0], gradients, $"clara grad {model} {stage}");
    }

    /// <summary>Stage rank with the compressor differentiated too (--adapters): its gradient comes through the scores' candidates.</summary>
    [TestCase("clara-distinct")]
    [TestCase("clara-repeated")]
    public void RankWithTheCompressorWritesAutogradsGradients(string model)
    {
        var output = Path.Combine(_dir, "grad.safetensors");
        string stage = StageGradientOracleSuite.RankJoint;
        var (code, _, err) = Clara("grad", "--model", Fixtures.Clara(model), "--stage", "rank", "--adapters", "query_reasoner_adapter,encoder_adapter",
            "--data", StageGradientOracleSuite.DataFile(model, stage), "--out", output);
        Assert.That(code, Is.EqualTo(0), err);
        using var expected = SafetensorsFile.Open(StageGradientOracleSuite.ExpectedFile(model, stage));
        using var actual = SafetensorsFile.Open(output);
        var gradients = actual.Tensors.Where(t => t.Name != "loss").Select(t => (t.Name, actual.ReadAsFloat32(t.Name))).ToList();
        Assert.That(gradients.Select(g => g.Name), Has.Some.StartsWith("encoder_adapter/"));
        StageGradientOracleSuite.AssertMatches(expected, actual.ReadAsFloat32("loss")[0], gradients, $"clara grad {model} {stage}");
    }

    [Test]
    public void AnUnknownAdapterIsRefusedWithTheOnesTheModelHas()
    {
        var (code, _, err) = Clara("grad", "--model", Fixtures.Clara("clara-distinct"), "--stage", "rank", "--adapters", "query_reasoner_adapter,compressor",
            "--data", StageGradientOracleSuite.DataFile("clara-distinct", "rank"), "--out", Path.Combine(_dir, "g.safetensors"));
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(err, Does.Contain("unknown adapter 'compressor'").And.Contain("encoder_adapter"));
    }

    [Test]
    public void StageLmRunsOnAPlainModelDirectory()
    {
        var output = Path.Combine(_dir, "grad.safetensors");
        var (code, _, err) = Clara("grad", "--model", Fixtures.Model("llama-gqa1"), "--stage", "lm",
            "--data", StageGradientOracleSuite.DataFile("llama-gqa1", "lm"), "--out", output);
        Assert.That(code, Is.EqualTo(0), err);
        using var expected = SafetensorsFile.Open(StageGradientOracleSuite.ExpectedFile("llama-gqa1", "lm"));
        using var actual = SafetensorsFile.Open(output);
        var gradients = actual.Tensors.Where(t => t.Name != "loss").Select(t => (t.Name, actual.ReadAsFloat32(t.Name))).ToList();
        StageGradientOracleSuite.AssertMatches(expected, actual.ReadAsFloat32("loss")[0], gradients, "clara grad llama-gqa1 lm");
    }

    [Test]
    public void AMissingFieldNamesTheLineAndField()
    {
        var data = Path.Combine(_dir, "bad.jsonl");
        var lines = File.ReadAllLines(StageGradientOracleSuite.DataFile("clara-distinct", "e2e"));
        File.WriteAllLines(data, [lines[0], lines[1].Replace("\"answer_ids\"", "\"answer\"")]);
        var (code, _, err) = Clara("grad", "--model", Fixtures.Clara("clara-distinct"), "--stage", "e2e", "--data", data, "--out", Path.Combine(_dir, "g.safetensors"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("bad.jsonl:2").And.Contain("answer_ids"));
    }

    [Test]
    public void MoreSlotsThanCandidatesIsRefusedBeforeAnyStep()
    {
        var data = Path.Combine(_dir, "k.jsonl");
        var line = File.ReadAllLines(StageGradientOracleSuite.DataFile("clara-distinct", "e2e"))[0];
        using var doc = System.Text.Json.JsonDocument.Parse(line);
        var question = doc.RootElement.GetProperty("question_ids").GetRawText();
        var prompt = doc.RootElement.GetProperty("prompt_ids").GetRawText();
        File.WriteAllText(data, $"{{\"question_ids\": {question}, \"docs\": [[5, 6]], \"prompt_ids\": {prompt}, \"answer_ids\": [7]}}\n");
        var (code, _, err) = Clara("grad", "--model", Fixtures.Clara("clara-distinct"), "--stage", "e2e", "--data", data, "--out", Path.Combine(_dir, "g.safetensors"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("example 1").And.Contain("docs").And.Contain("k > N"));
    }

    [Test]
    public void AnUnknownStageIsAUsageError()
    {
        var (code, _, err) = Clara("grad", "--model", Fixtures.Clara("clara-distinct"), "--stage", "rlhf", "--data", "x", "--out", "y");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("rlhf"));
    }
}
