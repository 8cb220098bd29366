using System.Text.Json;
using Clara.Engine.IO.Safetensors;
using Clara.Engine.Tests.Pipeline;
using Clara.Engine.Tests.Support;
using NUnit.Framework;

namespace Clara.Engine.Tests.Cli;

/// <summary>The spec §9 commands, run as a user runs them, give the PyTorch oracle's numbers.</summary>
public class CliOracleTests
{
    private string _dir = null!;

    [SetUp]
    public void CreateDirectory() => Directory.CreateDirectory(_dir = Path.Combine(Path.GetTempPath(), "clara-cli-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void Remove() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Clara(params string[] args) => ClaraCli.Run(args);

    private string File(string name) => Path.Combine(_dir, name);

    private string DocumentsFile(string config)
    {
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var path = File("docs.jsonl");
        System.IO.File.WriteAllLines(path, ClaraOracleSuite.Documents(reference)
            .Select((ids, i) => JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = $"d{i}", ["ids"] = ids })));
        return path;
    }

    [TestCase("mistral-gqa2-odd", null)]
    [TestCase("mistral-gqa2-odd", "rs")]
    [TestCase("mistral-gqa4-bf16", "plain")]
    public void LogitsCommandWritesTheOracleLogits(string config, string? adapter)
    {
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var tokens = string.Join(",", reference.ReadAsInt32("tokens"));
        string[] args = ["logits", "--model", Fixtures.Model(config), "--tokens", tokens, "--out", File("logits.safetensors")];
        if (adapter is not null) args = [.. args, "--adapter", adapter];
        var (code, _, err) = Clara(args);
        Assert.That(code, Is.EqualTo(0), err);
        using var written = SafetensorsFile.Open(File("logits.safetensors"));
        Assert.That(written["logits"].Shape.Dims, Is.EqualTo(reference[adapter is null ? "logits" : $"logits.{adapter}"].Shape.Dims));
        Compare.AssertClose(written.ReadAsFloat32("logits"), reference.ReadAsFloat32(adapter is null ? "logits" : $"logits.{adapter}"), 1e-5, "clara logits");
    }

    [TestCase("clara-distinct")]
    [TestCase("clara-repeated")]
    public void CompressCommandWritesTheOracleMemory(string config)
    {
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var (code, _, err) = Clara("compress", "--model", Fixtures.Clara(config), "--docs", DocumentsFile(config), "--out", File("memory.safetensors"), "--batch", "2");
        Assert.That(code, Is.EqualTo(0), err);
        using var written = SafetensorsFile.Open(File("memory.safetensors"));
        Assert.That(written["memory"].Shape.Dims, Is.EqualTo(reference["memory"].Shape.Dims));
        Compare.AssertClose(written.ReadAsFloat32("memory"), reference.ReadAsFloat32("memory"), ClaraOracleSuite.Tolerance, "clara compress memory");
        Compare.AssertClose(written.ReadAsFloat32("mse"), reference.ReadAsFloat32("mse"), ClaraOracleSuite.Tolerance, "clara compress mse");
        Compare.AssertElementwiseClose(written.ReadAsFloat32("mse"), reference.ReadAsFloat32("mse"), ClaraOracleSuite.Tolerance,
            ClaraOracleSuite.ElementwiseOfMax, "clara compress mse");
    }

    [TestCase("clara-distinct")]
    [TestCase("clara-repeated")]
    public void RerankCommandWritesTheOracleScores(string config)
    {
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var question = string.Join(",", reference.ReadAsInt32("question.ids"));
        var (code, _, err) = Clara("rerank", "--model", Fixtures.Clara(config), "--docs", DocumentsFile(config), "--question-ids", question, "--out", File("rerank.safetensors"));
        Assert.That(code, Is.EqualTo(0), err);
        using var written = SafetensorsFile.Open(File("rerank.safetensors"));
        Compare.AssertClose(written.ReadAsFloat32("query"), reference.ReadAsFloat32("query"), ClaraOracleSuite.Tolerance, "clara rerank query");
        Compare.AssertClose(written.ReadAsFloat32("scores"), reference.ReadAsFloat32("scores"), ClaraOracleSuite.Tolerance, "clara rerank scores");
        Compare.AssertElementwiseClose(written.ReadAsFloat32("scores"), reference.ReadAsFloat32("scores"), ClaraOracleSuite.Tolerance,
            ClaraOracleSuite.ElementwiseOfMax, "clara rerank scores");
        Assert.That(written.ReadAsInt64("topk"), Is.EqualTo(reference.ReadAsInt64("topk")));
    }

    [TestCase("clara-distinct")]
    [TestCase("clara-repeated")]
    public void AskJsonGivesTheOracleAnswer(string config)
    {
        using var reference = SafetensorsFile.Open(Fixtures.Reference(config));
        var (code, stdout, err) = Clara("ask", "--model", Fixtures.Clara(config), "--docs", DocumentsFile(config),
            "--question-ids", string.Join(",", reference.ReadAsInt32("question.ids")),
            "--prompt-ids", string.Join(",", reference.ReadAsInt32("prompt.ids")), "--max-new-tokens", "8", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.That(root.GetProperty("answer_ids").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(reference.ReadAsInt32("answer.ids")));
        Assert.That(root.GetProperty("topk").EnumerateArray().Select(e => e.GetInt64()), Is.EqualTo(reference.ReadAsInt64("topk")));
        var scores = root.GetProperty("scores").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Compare.AssertClose(scores, reference.ReadAsFloat32("scores"), ClaraOracleSuite.Tolerance, "clara ask scores");
    }

    [Test]
    public void AskWithTextUsesTheTokenizerAndPrintsTheAnswerText()
    {
        using var reference = SafetensorsFile.Open(Fixtures.Reference("clara-text"));
        var docs = JsonDocument.Parse(reference.Metadata["docs"]).RootElement.EnumerateArray().Select(e => e.GetString()!).ToList();
        System.IO.File.WriteAllLines(File("docs.jsonl"), docs.Select((t, i) => JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = $"doc-{i}", ["text"] = t })));
        var (code, stdout, err) = Clara("ask", "--model", Fixtures.Clara("clara-text"), "--docs", File("docs.jsonl"),
            "--question", reference.Metadata["question"], "--max-new-tokens", "12", "--json");
        Assert.That(code, Is.EqualTo(0), err);
        var root = JsonDocument.Parse(stdout).RootElement;
        Assert.That(root.GetProperty("answer_ids").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(reference.ReadAsInt32("answer.ids")));
        Assert.That(root.GetProperty("answer").GetString(), Is.EqualTo(reference.Metadata["answer"]));
    }

    [Test]
    public void AskWithTextStreamsExactlyTheAnswerText()
    {
        using var reference = SafetensorsFile.Open(Fixtures.Reference("clara-text"));
        var docs = JsonDocument.Parse(reference.Metadata["docs"]).RootElement.EnumerateArray().Select(e => e.GetString()!).ToList();
        System.IO.File.WriteAllLines(File("docs.jsonl"), docs.Select((t, i) => JsonSerializer.Serialize(new Dictionary<string, object> { ["id"] = $"doc-{i}", ["text"] = t })));
        var (code, stdout, err) = Clara("ask", "--model", Fixtures.Clara("clara-text"), "--docs", File("docs.jsonl"),
            "--question", reference.Metadata["question"], "--max-new-tokens", "12");
        Assert.That(code, Is.EqualTo(0), err);
        // The streamed deltas, printed one after another, read as the reference's whole decoded answer.
        Assert.That(stdout, Does.StartWith("answer: " + reference.Metadata["answer"] + Environment.NewLine + "documents: "));
    }

    [Test]
    public void InfoDescribesTheModel()
    {
        var (code, stdout, err) = Clara("info", Fixtures.Model("mistral-gqa2-odd"));
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(stdout, Does.Contain("heads        4 query, 2 key/value, head dim 10"));
        Assert.That(stdout, Does.Contain("adapter      rs: r 4, alpha 6, scale 3 (rsLoRA)"));
        Assert.That(stdout, Does.Contain("F32 × 30"));
    }

    [Test]
    public void MistakesGetExitCode2AndTheUsage()
    {
        var (code, _, err) = Clara("logits", "--model", Fixtures.Model("llama-gqa1"), "--tokenz", "1,2", "--out", File("x.safetensors"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("Option '--tokens' is required"));
        (code, _, err) = Clara("logits", "--model", Fixtures.Model("llama-gqa1"), "--tokens", "1,2", "--out", File("x.safetensors"), "--adaptr", "plain");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("unknown option(s): --adaptr"));
        Assert.That(System.IO.File.Exists(File("x.safetensors")), Is.False);
    }

    [Test]
    public void BadInputsGetExitCode1AndAClearMessage()
    {
        System.IO.File.WriteAllText(File("bad.jsonl"), "{\"id\": \"a\", \"ids\": [1, 2]}\n{\"id\": \"b\"}\n");
        var (code, _, err) = Clara("compress", "--model", Fixtures.Clara("clara-distinct"), "--docs", File("bad.jsonl"), "--out", File("m.safetensors"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("bad.jsonl:2").And.Contain("exactly one of 'text' or 'ids'"));
        (code, _, err) = Clara("logits", "--model", Fixtures.Model("llama-gqa1"), "--tokens", "1,5000", "--out", File("x.safetensors"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("outside the vocabulary"));
        (code, _, err) = Clara("ask", "--model", Fixtures.Clara("clara-distinct"), "--docs", DocumentsFile("clara-distinct"), "--question", "hello");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("has no tokenizer files"));
        Assert.That(System.IO.File.Exists(File("m.safetensors")) || System.IO.File.Exists(File("x.safetensors")), Is.False);
    }

    [Test]
    public void CudaDeviceWithoutADriverIsExplained()
    {
        if (global::Clara.Engine.Backends.Cuda.CudaBackend.Probe(out _)) Assert.Ignore("a CUDA device is present here");
        var (code, _, err) = Clara("info", Fixtures.Model("llama-gqa1"), "--device", "cuda");
        Assert.That(code, Is.EqualTo(3));
        Assert.That(err, Does.Contain("could not load the CUDA driver").And.Contain("libcuda.so.1"));
        (code, _, err) = Clara("info", Fixtures.Model("llama-gqa1"), "--device", "tpu");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(err, Does.Contain("unknown device 'tpu'"));
    }
}
