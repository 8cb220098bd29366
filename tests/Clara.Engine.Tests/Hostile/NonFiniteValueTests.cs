using NUnit.Framework;

namespace Clara.Engine.Tests.Hostile;

/// <summary>
/// Items 9 and 11 (run side): non-finite or overflowing numbers on the command line are usage errors (exit 2)
/// naming the option; non-finite weights are an error naming the stage instead of an answer.
/// </summary>
public class NonFiniteValueTests
{
    private HostileScratch _scratch = null!;

    [SetUp]
    public void Create() => _scratch = new HostileScratch();

    [TearDown]
    public void Remove() => _scratch.Dispose();

    private string Docs() => _scratch.WriteText("docs.jsonl", "{\"id\": \"a\", \"ids\": [1, 2, 3]}\n{\"id\": \"b\", \"ids\": [4, 5]}\n{\"id\": \"c\", \"ids\": [7]}\n");

    [TestCase("--temperature", "NaN")]
    [TestCase("--temperature", "1e39")]
    [TestCase("--temperature", "-1")]
    [TestCase("--sample-temperature", "1e-45")]
    [TestCase("--sample-temperature", "Infinity")]
    [TestCase("--top-p", "NaN")]
    [TestCase("--max-new-tokens", "2147483647")]
    [TestCase("--k", "0")]
    public void AskRefusesTheValue(string option, string value)
    {
        var result = HostileRun.InProcess("ask", "--model", HostileModels.ClaraDirectory, "--docs", Docs(), "--question-ids", "5,6", option, value);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Stderr, Does.Contain(option.TrimStart('-').Replace("sample-", "")).IgnoreCase, result.ToString());
    }

    [TestCase("NaN")]
    [TestCase("1e39")]
    public void RerankRefusesTheTemperature(string value)
    {
        string output = _scratch.File("rerank.safetensors");
        var result = HostileRun.InProcess("rerank", "--model", HostileModels.ClaraDirectory, "--docs", Docs(), "--question-ids", "5,6",
            "--temperature", value, "--out", output);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(File.Exists(output), Is.False);
    }

    [TestCase(float.NaN)]
    [TestCase(float.PositiveInfinity)]
    public void NonFiniteWeightsAreAnErrorNamingTheStage(float value)
    {
        string model = HostileModels.ClaraCopy(_scratch);
        HostileModels.FillTensor(Path.Combine(model, "model.safetensors"), "model.norm.weight", value);
        var result = HostileRun.InProcess("ask", "--model", model, "--docs", Docs(), "--question-ids", "5,6", "--k", "1", "--max-new-tokens", "2", "--json");
        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.Stderr, Does.Contain("rerank").Or.Contain("generation"), result.ToString());
        Assert.That(result.Stdout, Does.Not.Contain("answer_ids"), result.ToString());
    }

    [Test]
    public void HugeTemperatureStillRanksByScore()
    {
        // τ = 1e30 is finite and allowed; dividing scores by it must not collapse them into input order.
        var order = global::Clara.Engine.Pipeline.TopKSelection.Select([0.1f, 0.9f, 0.5f], 3, 1e30f);
        Assert.That(order, Is.EqualTo(new[] { 1, 2, 0 }));
    }
}
